import AnnotateCore
import Foundation
import Logging

/// Annotates with Google's Gemini API (`generateContent`): sends an upright JPEG preview inline
/// with the prompt, asks for structured JSON `{caption, tags}`, and records model, prompt hash
/// and token usage. The key travels only in the `x-goog-api-key` header.
public struct GeminiAnnotator: RemoteAnnotator {
    /// The key, endpoint and common settings of a Gemini annotator.
    public struct Settings: Sendable {
        /// `GEMINI_API_KEY` (or `GOOGLE_API_KEY`).
        public var apiKey: Secret
        /// `https://generativelanguage.googleapis.com`, or `GEMINI_BASE_URL`.
        public var baseURL: URL
        /// Model, prompt, temperature, timeout and preview size.
        public var common: RemoteAnnotatorSettings

        /// Settings for `baseURL` (Google's, or a compatible server's).
        public init(apiKey: Secret, baseURL: URL, common: RemoteAnnotatorSettings) {
            self.apiKey = apiKey
            self.baseURL = baseURL
            self.common = common
        }
    }

    /// Google's Generative Language API.
    public static let defaultBaseURL = URL(string: "https://generativelanguage.googleapis.com")!
    /// The model used when none is configured (the original deployment's).
    public static let defaultModel = "gemini-2.5-flash-lite"

    let settings: Settings
    let exchange: RemoteExchange
    var common: RemoteAnnotatorSettings { settings.common }

    /// An annotator sending through `transport`, paced by `pacer` when `--rate` is set.
    public init(settings: Settings, transport: any HTTPTransport, pacer: RequestPacer?, logger: Logger) {
        self.settings = settings
        exchange = RemoteExchange(service: "the Gemini API", transport: transport, pacer: pacer, logger: logger)
    }

    /// The Batch API on the same endpoint, key and model.
    public var batchMode: (any BatchAnnotator)? {
        GeminiBatchClient(annotator: self, transport: exchange.transport, logger: exchange.logger)
    }

    /// `models/{model}:countTokens` with the whole request (`generateContentRequest`, so the
    /// prompt, preview and schema are counted as they would be sent). Free; no tokens are billed.
    public func countInputTokens(for image: AnnotationInput) async throws -> Int? {
        struct Body: Encodable {
            struct Inner: Encodable {
                let model: String
                let contents: [GeminiWire.Request.Content]
                let generationConfig: GeminiWire.Request.GenerationConfig
            }
            let generateContentRequest: Inner
        }
        struct Answer: Decodable { let totalTokens: Int? }
        let request = request(for: image, tier: .standard)
        let body = Body(
            generateContentRequest: .init(
                model: "models/\(Self.modelID(model))", contents: request.contents, generationConfig: request.generationConfig))
        let call = TransportRequest(
            method: "POST", url: Self.modelURL(baseURL: settings.baseURL, model: model, method: "countTokens"),
            headers: ["Content-Type": "application/json", "x-goog-api-key": settings.apiKey.reveal()],
            body: try JSONEncoder().encode(body), timeout: common.timeout)
        return try await exchange.call(call, key: settings.apiKey) { response throws(AnnotationError) -> Int in
            guard response.status == 200 else { throw failure(response) }
            guard let tokens = (try? JSONDecoder().decode(Answer.self, from: response.body))?.totalTokens else {
                throw .permanent("malformed countTokens answer from Gemini")
            }
            return tokens
        }
    }

    /// The model family's documented image rule.
    var imageTokenRule: ImageTokenRule { .gemini(model: model) }

    /// `…/v1beta/models/{model}:generateContent`.
    var endpoint: URL { Self.modelURL(baseURL: settings.baseURL, model: model, method: "generateContent") }

    /// `…/v1beta/models/{model}`, or one of its methods (`…:generateContent`): the one place the
    /// model's URL is made, for annotation and for doctor's check alike. A `models/` prefix in the
    /// setting is accepted.
    public static func modelURL(baseURL: URL, model: String, method: String? = nil) -> URL {
        baseURL.appendingPathComponent("v1beta/models/\(modelID(model))" + (method.map { ":\($0)" } ?? ""))
    }

    /// The model's id without the `models/` prefix the setting may carry (`gemini-2.5-flash`).
    static func modelID(_ model: String) -> String {
        model.hasPrefix("models/") ? String(model.dropFirst("models/".count)) : model
    }

    /// Sends the preview and prompt to `generateContent` and checks the answer.
    public func annotate(_ image: AnnotationInput) async throws -> Annotation {
        let request = TransportRequest(
            method: "POST", url: endpoint,
            headers: ["Content-Type": "application/json", "x-goog-api-key": settings.apiKey.reveal()],
            body: try JSONEncoder().encode(request(for: image, tier: common.serviceTier)), timeout: common.timeout)
        return try await exchange.call(request, key: settings.apiKey, interpret: interpret)
    }

    /// The `generateContent` body for `image`: the one builder of the synchronous request and of
    /// each batch line, so both ask exactly the same (the tier field aside: a batch line has none).
    func request(for image: AnnotationInput, tier: ServiceTier) -> GeminiWire.Request {
        let upload = image.upload
        return GeminiWire.Request(
            contents: [
                .init(
                    role: "user",
                    parts: [
                        .init(inlineData: .init(mimeType: upload.mimeType, data: upload.data.base64EncodedString())),
                        .init(text: common.prompt),
                    ])
            ],
            generationConfig: .init(
                responseMimeType: "application/json", responseSchema: GeminiWire.Request.answerSchema,
                temperature: common.temperature),
            serviceTier: tier == .flex ? "flex" : nil)
    }

    func interpret(_ response: TransportResponse) throws(AnnotationError) -> Annotation {
        guard response.status == 200 else { throw failure(response) }
        guard let answer = try? JSONDecoder().decode(GeminiWire.Response.self, from: response.body) else {
            throw .permanent("malformed response from Gemini: \(AnnotationAnswer.preview(String(decoding: response.body, as: UTF8.self)))")
        }
        return try annotation(from: answer, tier: common.serviceTier)
    }

    /// The checks every answer gets, synchronous or from a batch: blocked, stopped, declined,
    /// and JSON that is not the shape asked for all fail; tokens and `tier` are recorded.
    func annotation(from answer: GeminiWire.Response, tier: ServiceTier) throws(AnnotationError) -> Annotation {
        guard let candidate = answer.candidates?.first else {
            if let reason = answer.promptFeedback?.blockReason {
                throw .permanent("Gemini blocked the request (blockReason \(reason))")
            }
            throw .permanent("Gemini returned no candidates")
        }
        let text = (candidate.content?.parts ?? []).filter { $0.thought != true }.compactMap(\.text).joined()
        switch candidate.finishReason ?? "STOP" {
        case "STOP":
            break
        case "MAX_TOKENS" where text.isEmpty:
            throw .permanent("Gemini stopped at its token limit (finishReason MAX_TOKENS) before writing an answer")
        case "MAX_TOKENS":
            break
        case let reason:
            throw .permanent("Gemini declined to answer (finishReason \(reason))\(candidate.finishMessage.map { ": \($0)" } ?? "")")
        }
        let parsed = try AnnotationAnswer.parse(text)
        let usage = answer.usageMetadata
        return Annotation(
            caption: parsed.caption, tags: parsed.tags, model: model, promptHash: promptHash,
            tokens: usage?.totalTokenCount, inputTokens: usage?.promptTokenCount, outputTokens: usage?.outputTokens,
            serviceTier: tier)
    }

    /// Sorts an HTTP error by what to do: retry (429 per minute, 5xx), stop (daily quota), fail (the rest).
    func failure(_ response: TransportResponse) -> AnnotationError {
        let body = try? JSONDecoder().decode(GeminiWire.ErrorBody.self, from: response.body)
        let message = body?.error.message ?? AnnotationAnswer.preview(String(decoding: response.body, as: UTF8.self))
        let status = body?.error.status.map { " \($0)" } ?? ""
        let details = body?.error.details ?? []
        let said = "Gemini answered HTTP \(response.status)\(status): \(message)"
        switch response.status {
        case 429:
            let quotaIDs = details.flatMap { $0.violations ?? [] }.compactMap(\.quotaId)
            if let daily = quotaIDs.first(where: { $0.contains("PerDay") }) {
                return .stopRun("the Gemini daily quota is used up (\(daily)); it resets at midnight Pacific time")
            }
            let retryInfo = details.compactMap { GeminiWire.duration($0.retryDelay) }.first
            return .transient(said, retryAfter: retryInfo ?? response.retryAfter)
        case 500, 502, 503, 504:
            return .transient(said, retryAfter: response.retryAfter)
        case 404:
            return .permanent(
                "\(said) — the model \(model.debugDescription) may be retired; set --model or GEMINI_MODEL_NAME (e.g. \(Self.defaultModel))")
        case 400 where details.contains(where: { $0.reason == "API_KEY_INVALID" }):
            return .permanent("\(said) — check GEMINI_API_KEY")
        default:
            return .permanent(said)
        }
    }
}
