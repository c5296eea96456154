import AnnotateCore
import Foundation
import Logging

/// What every remote annotator sends with each image, and how long it waits.
public struct RemoteAnnotatorSettings: Sendable {
    /// The model name the API is asked for (and recorded).
    public var model: String
    /// The prompt text.
    public var prompt: String
    /// Sent only when set (newer Gemini models ignore it).
    public var temperature: Double?
    /// How long one request may take.
    public var timeout: Duration
    /// Long side of the JPEG preview sent instead of the original.
    public var previewSide: Int
    /// The tier requests ask to be billed at (`--service-tier`).
    public var serviceTier: ServiceTier = .standard

    /// The settings both remote annotators share.
    public init(model: String, prompt: String, temperature: Double?, timeout: Duration, previewSide: Int) {
        self.model = model
        self.prompt = prompt
        self.temperature = temperature
        self.timeout = timeout
        self.previewSide = previewSide
    }
}

/// An annotator behind an HTTP API. Each client keeps only its wire format; provenance comes from here.
protocol RemoteAnnotator: Annotator {
    var common: RemoteAnnotatorSettings { get }
    /// How the API counts an image's tokens.
    var imageTokenRule: ImageTokenRule { get }
}

extension RemoteAnnotator {
    /// The configured model.
    public var model: String { common.model }
    /// The configured prompt's hash.
    public var promptHash: String? { AnnotationPrompt.hash(common.prompt) }
    /// The preview's long side.
    public var previewSide: Int? { common.previewSide }

    /// The preview's tokens by the API's rule, plus the prompt's.
    public func estimatedInputTokens(width: Int, height: Int) -> Int? {
        let preview = ImageTokenRule.preview(width: width, height: height, side: common.previewSide)
        return imageTokenRule.tokens(width: preview.width, height: preview.height) + ImageTokenRule.promptTokens(common.prompt)
    }
}

extension AnnotationInput {
    /// The bytes to send (the preview when there is one) and their MIME type.
    var upload: (data: Data, mimeType: String) {
        if let preview { return (preview, "image/jpeg") }
        return (data, contentType ?? "image/jpeg")
    }
}

/// The exchange every remote annotator makes the same way: wait for a pacing slot, log the size
/// (never the headers), send, sort transport failures (unreachable stops the run; a timeout or a
/// broken connection is worth retrying), interpret, and keep the key out of every message.
struct RemoteExchange: Sendable {
    /// How messages name the service, e.g. "the Gemini API".
    let service: String
    let transport: any HTTPTransport
    let pacer: RequestPacer?
    let logger: Logger

    func call<Answer>(
        _ request: TransportRequest, key: Secret?,
        interpret: (TransportResponse) throws(AnnotationError) -> Answer
    ) async throws -> Answer {
        try await pacer?.waitForSlot()
        logger.debug("calling \(service)", metadata: ["request.bytes": "\(request.body.count)"])
        let response: TransportResponse
        do {
            response = try await transport.send(request)
        } catch let error as HTTPTransportError {
            switch error {
            case .unreachable: throw AnnotationError.stopRun("\(service) is unreachable (\(error))")
            case .timedOut, .interrupted: throw AnnotationError.transient("\(error)")
            }
        }
        do {
            return try interpret(response)
        } catch {
            throw AnnotationError(reason: key?.redact(error.reason) ?? error.reason, disposition: error.disposition)
        }
    }
}
