import Foundation
import Logging

/// Annotates with Google's Gemini API (`generateContent`): sends an upright JPEG preview inline
/// with the prompt, asks for structured JSON `{caption, tags}`, and records model, prompt hash
/// and token usage. The key travels only in the `x-goog-api-key` header.
public struct GeminiAnnotator: Annotator {
    public struct Settings: Sendable {
        public var apiKey: Secret
        /// `https://generativelanguage.googleapis.com`, or `GEMINI_BASE_URL`.
        public var baseURL: URL
        public var model: String
        public var prompt: String
        public var temperature: Double?
        public var timeout: Duration
        public var previewSide: Int

        public init(apiKey: Secret, baseURL: URL, model: String, prompt: String, temperature: Double?, timeout: Duration, previewSide: Int) {
            self.apiKey = apiKey
            self.baseURL = baseURL
            self.model = model
            self.prompt = prompt
            self.temperature = temperature
            self.timeout = timeout
            self.previewSide = previewSide
        }
    }

    public static let defaultBaseURL = URL(string: "https://generativelanguage.googleapis.com")!
    public static let defaultModel = "gemini-2.5-flash-lite"

    let settings: Settings
    let transport: any HTTPTransport
    let pacer: RequestPacer?
    let logger: Logger

    public init(settings: Settings, transport: any HTTPTransport, pacer: RequestPacer?, logger: Logger) {
        self.settings = settings
        self.transport = transport
        self.pacer = pacer
        self.logger = logger
    }

    public var model: String { settings.model }
    public var promptHash: String? { AnnotationPrompt.hash(settings.prompt) }
    public var previewSide: Int? { settings.previewSide }

    /// `…/v1beta/models/{model}:generateContent` (a `models/` prefix in the setting is accepted).
    var endpoint: URL {
        let name = settings.model.hasPrefix("models/") ? String(settings.model.dropFirst(7)) : settings.model
        return settings.baseURL.appendingPathComponent("v1beta/models/\(name):generateContent")
    }

    public func annotate(_ image: AnnotationInput) async throws -> Annotation {
        let jpeg = image.preview ?? image.data
        let body = GeminiWire.Request(
            contents: [.init(role: "user", parts: [
                .init(inlineData: .init(mimeType: image.preview == nil ? (image.contentType ?? "image/jpeg") : "image/jpeg",
                                        data: jpeg.base64EncodedString())),
                .init(text: settings.prompt),
            ])],
            generationConfig: .init(responseMimeType: "application/json", responseSchema: GeminiWire.Request.answerSchema,
                                    temperature: settings.temperature))
        let request = HTTPRequest(
            method: "POST", url: endpoint,
            headers: ["Content-Type": "application/json", "x-goog-api-key": settings.apiKey.reveal()],
            body: try JSONEncoder().encode(body), timeout: settings.timeout)
        try await pacer?.waitForSlot()
        logger.debug("calling Gemini", metadata: ["model": "\(settings.model)", "request.bytes": "\(request.body.count)"])
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as HTTPTransportError {
            throw Self.classify(error)
        }
        do {
            return try interpret(response)
        } catch {
            throw AnnotationError(reason: settings.apiKey.redact(error.reason), disposition: error.disposition)
        }
    }

    static func classify(_ error: HTTPTransportError) -> AnnotationError {
        switch error {
        case .unreachable: .stopRun("the Gemini API is unreachable (\(error))")
        case .timedOut, .interrupted: .transient("\(error)")
        }
    }

    func interpret(_ response: HTTPResponse) throws(AnnotationError) -> Annotation {
        guard response.status == 200 else { throw failure(response) }
        guard let answer = try? JSONDecoder().decode(GeminiWire.Response.self, from: response.body) else {
            throw .permanent("malformed response from Gemini: \(AnnotationAnswer.preview(String(decoding: response.body, as: UTF8.self)))")
        }
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
        return Annotation(caption: parsed.caption, tags: parsed.tags, model: settings.model, promptHash: promptHash,
                          tokens: answer.usageMetadata?.totalTokenCount)
    }

    /// Sorts an HTTP error by what to do: retry (429 per minute, 5xx), stop (daily quota), fail (the rest).
    func failure(_ response: HTTPResponse) -> AnnotationError {
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
            return .transient(said, retryAfter: retryInfo ?? Self.retryAfterHeader(response))
        case 500, 502, 503, 504:
            return .transient(said, retryAfter: Self.retryAfterHeader(response))
        case 404:
            return .permanent("\(said) — the model \(settings.model.debugDescription) may be retired; set --model or GEMINI_MODEL_NAME (e.g. \(Self.defaultModel))")
        case 400 where details.contains(where: { $0.reason == "API_KEY_INVALID" }):
            return .permanent("\(said) — check GEMINI_API_KEY")
        default:
            return .permanent(said)
        }
    }

    /// `Retry-After` in seconds (Gemini sends none; proxies and compatible servers may).
    static func retryAfterHeader(_ response: HTTPResponse) -> Duration? {
        guard let value = response.headers["retry-after"], let seconds = Double(value), seconds >= 0 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }
}
