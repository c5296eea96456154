import AnnotateCore
import Foundation
import Logging

/// Annotates through any OpenAI-compatible `chat/completions` server — a local vision model
/// (Ollama, vLLM, LM Studio) or Gemini's OpenAI-compatible endpoint — with the preview as an
/// `image_url` data URL and a JSON answer `{caption, tags}`.
public struct OpenAIAnnotator: RemoteAnnotator {
    /// The endpoint, key and common settings of an OpenAI-compatible annotator.
    public struct Settings: Sendable {
        /// The base including the version, e.g. `http://localhost:11434/v1` (`OPENAI_BASE_URL`).
        public var baseURL: URL
        /// Optional: local servers need none.
        public var apiKey: Secret?
        /// Model, prompt, temperature, timeout and preview size.
        public var common: RemoteAnnotatorSettings

        /// Settings for the server at `baseURL` (a key is optional for local servers).
        public init(baseURL: URL, apiKey: Secret?, common: RemoteAnnotatorSettings) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.common = common
        }
    }

    /// OpenAI's own API.
    public static let defaultBaseURL = URL(string: "https://api.openai.com/v1")!

    let settings: Settings
    let exchange: RemoteExchange
    var common: RemoteAnnotatorSettings { settings.common }
    /// The OpenAI Batch API on the same server (where it has one: `process --batch` says when not).
    public var batchMode: (any BatchAnnotator)? {
        OpenAIBatchClient(annotator: self, transport: exchange.transport)
    }

    /// None: chat/completions servers offer no count before the call.
    public func countInputTokens(for image: AnnotationInput) async throws -> Int? { nil }

    /// OpenAI's own rule; other compatible servers count their own way.
    let imageTokenRule = ImageTokenRule.openAITiles

    /// An annotator sending through `transport`, paced by `pacer` when `--rate` is set.
    public init(settings: Settings, transport: any HTTPTransport, pacer: RequestPacer?, logger: Logger) {
        self.settings = settings
        exchange = RemoteExchange(service: "the OpenAI-compatible server", transport: transport, pacer: pacer, logger: logger)
    }

    struct Request: Encodable {
        struct Message: Encodable {
            let role: String
            let content: [Part]
        }
        struct Part: Encodable {
            let type: String
            var text: String? = nil
            var image_url: ImageURL? = nil
        }
        struct ImageURL: Encodable { let url: String }
        struct ResponseFormat: Encodable { let type: String }
        let model: String
        let messages: [Message]
        let response_format: ResponseFormat
        let temperature: Double?
        /// `"flex"` on the flex tier; absent otherwise.
        var service_tier: String? = nil
    }

    struct Response: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable { let content: String? }
            let message: Message?
            let finish_reason: String?
        }
        struct Usage: Decodable {
            let prompt_tokens: Int?
            let completion_tokens: Int?
            let total_tokens: Int?
        }
        /// The tier the server says it billed (`"flex"`, `"default"`…), when it says.
        let service_tier: String?
        let choices: [Choice]?
        let usage: Usage?
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            let message: String?
            let type: String?
        }
        let error: Detail
    }

    /// Sends the preview and prompt to `chat/completions` and checks the answer.
    public func annotate(_ image: AnnotationInput) async throws -> Annotation {
        var headers = ["Content-Type": "application/json"]
        if let key = settings.apiKey { headers["Authorization"] = "Bearer \(key.reveal())" }
        let request = TransportRequest(
            method: "POST", url: settings.baseURL.appendingPathComponent("chat/completions"),
            headers: headers, body: try JSONEncoder().encode(request(for: image, tier: common.serviceTier)), timeout: common.timeout)
        return try await exchange.call(request, key: settings.apiKey, interpret: interpret)
    }

    /// The `chat/completions` body for `image`: the one builder of the synchronous request and of
    /// each batch line's body (a batch line asks for no tier).
    func request(for image: AnnotationInput, tier: ServiceTier) -> Request {
        let upload = image.upload
        return Request(
            model: model,
            messages: [
                .init(
                    role: "user",
                    content: [
                        .init(type: "text", text: common.prompt),
                        .init(type: "image_url", image_url: .init(url: "data:\(upload.mimeType);base64,\(upload.data.base64EncodedString())")),
                    ])
            ],
            response_format: .init(type: "json_object"), temperature: common.temperature,
            service_tier: tier == .flex ? "flex" : nil)
    }

    /// The tier to record: the one the answer echoes (OpenAI may serve a flex request at
    /// another tier), else the one asked for.
    static func billedTier(_ echoed: String?, asked: ServiceTier) -> ServiceTier {
        switch echoed {
        case "flex": .flex
        case nil: asked
        default: .standard
        }
    }

    func interpret(_ response: TransportResponse) throws(AnnotationError) -> Annotation {
        try interpret(response, tier: common.serviceTier)
    }

    /// The checks every answer gets, synchronous or a batch line's (whose tier is `batch`).
    func interpret(_ response: TransportResponse, tier asked: ServiceTier) throws(AnnotationError) -> Annotation {
        guard response.status == 200 else {
            let message =
                (try? JSONDecoder().decode(ErrorBody.self, from: response.body))?.error.message
                ?? AnnotationAnswer.preview(String(decoding: response.body, as: UTF8.self))
            let said = "the server answered HTTP \(response.status): \(message)"
            switch response.status {
            case 429, 500, 502, 503, 504: throw .transient(said, retryAfter: response.retryAfter)
            case 401, 403: throw .permanent("\(said) — check OPENAI_API_KEY")
            case 404: throw .permanent("\(said) — check --model / OPENAI_MODEL and OPENAI_BASE_URL")
            default: throw .permanent(said)
            }
        }
        guard let answer = try? JSONDecoder().decode(Response.self, from: response.body), let choice = answer.choices?.first else {
            throw .permanent("malformed response from the server: \(AnnotationAnswer.preview(String(decoding: response.body, as: UTF8.self)))")
        }
        let text = choice.message?.content ?? ""
        switch choice.finish_reason ?? "stop" {
        case "content_filter":
            throw .permanent("the server declined to answer (finish_reason content_filter)")
        case "length" where text.isEmpty:
            throw .permanent("the model stopped at its token limit (finish_reason length) before writing an answer")
        default:
            break
        }
        let parsed = try AnnotationAnswer.parse(text)
        let usage = answer.usage
        return Annotation(
            caption: parsed.caption, tags: parsed.tags, model: model, promptHash: promptHash,
            tokens: usage?.total_tokens, inputTokens: usage?.prompt_tokens, outputTokens: usage?.completion_tokens,
            serviceTier: asked == .batch ? .batch : Self.billedTier(answer.service_tier, asked: asked))
    }
}
