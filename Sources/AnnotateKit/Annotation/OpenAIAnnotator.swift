import Foundation
import Logging

/// Annotates through any OpenAI-compatible `chat/completions` server — a local vision model
/// (Ollama, vLLM, LM Studio) or Gemini's OpenAI-compatible endpoint — with the preview as an
/// `image_url` data URL and a JSON answer `{caption, tags}`.
public struct OpenAIAnnotator: Annotator {
    public struct Settings: Sendable {
        /// The base including the version, e.g. `http://localhost:11434/v1` (`OPENAI_BASE_URL`).
        public var baseURL: URL
        /// Optional: local servers need none.
        public var apiKey: Secret?
        public var model: String
        public var prompt: String
        public var temperature: Double?
        public var timeout: Duration
        public var previewSide: Int

        public init(baseURL: URL, apiKey: Secret?, model: String, prompt: String, temperature: Double?, timeout: Duration, previewSide: Int) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.prompt = prompt
            self.temperature = temperature
            self.timeout = timeout
            self.previewSide = previewSide
        }
    }

    public static let defaultBaseURL = URL(string: "https://api.openai.com/v1")!

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

    struct Request: Encodable {
        struct Message: Encodable { let role: String; let content: [Part] }
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
    }

    struct Response: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable { let content: String? }
            let message: Message?
            let finish_reason: String?
        }
        struct Usage: Decodable { let total_tokens: Int? }
        let choices: [Choice]?
        let usage: Usage?
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable { let message: String?; let type: String? }
        let error: Detail
    }

    public func annotate(_ image: AnnotationInput) async throws -> Annotation {
        let jpeg = image.preview ?? image.data
        let mime = image.preview == nil ? (image.contentType ?? "image/jpeg") : "image/jpeg"
        let body = Request(
            model: settings.model,
            messages: [.init(role: "user", content: [
                .init(type: "text", text: settings.prompt),
                .init(type: "image_url", image_url: .init(url: "data:\(mime);base64,\(jpeg.base64EncodedString())")),
            ])],
            response_format: .init(type: "json_object"), temperature: settings.temperature)
        var headers = ["Content-Type": "application/json"]
        if let key = settings.apiKey { headers["Authorization"] = "Bearer \(key.reveal())" }
        let request = HTTPRequest(method: "POST", url: settings.baseURL.appendingPathComponent("chat/completions"),
                                  headers: headers, body: try JSONEncoder().encode(body), timeout: settings.timeout)
        try await pacer?.waitForSlot()
        logger.debug("calling the OpenAI-compatible server", metadata: ["model": "\(settings.model)", "request.bytes": "\(request.body.count)"])
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as HTTPTransportError {
            switch error {
            case .unreachable: throw AnnotationError.stopRun("the OpenAI-compatible server is unreachable (\(error))")
            case .timedOut, .interrupted: throw AnnotationError.transient("\(error)")
            }
        }
        do {
            return try interpret(response)
        } catch {
            let redacted = settings.apiKey.map { $0.redact(error.reason) } ?? error.reason
            throw AnnotationError(reason: redacted, disposition: error.disposition)
        }
    }

    func interpret(_ response: HTTPResponse) throws(AnnotationError) -> Annotation {
        guard response.status == 200 else {
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: response.body))?.error.message
                ?? AnnotationAnswer.preview(String(decoding: response.body, as: UTF8.self))
            let said = "the server answered HTTP \(response.status): \(message)"
            switch response.status {
            case 429, 500, 502, 503, 504: throw .transient(said, retryAfter: GeminiAnnotator.retryAfterHeader(response))
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
        return Annotation(caption: parsed.caption, tags: parsed.tags, model: settings.model, promptHash: promptHash,
                          tokens: answer.usage?.total_tokens)
    }
}
