import Foundation

/// Describes an image as a caption plus tags.
public protocol Annotator: Sendable {
    /// The name recorded as each annotation's model (provenance), e.g. `gemini-2.5-flash-lite`.
    var model: String { get }
    /// A hash of the instruction sent with each image, recorded for `--stale`; nil when there is none.
    var promptHash: String? { get }
    /// Long side of the JPEG preview this annotator sends instead of the original; nil to get the original only.
    var previewSide: Int? { get }
    /// Annotates one image; throws `AnnotationError` saying whether trying again can help.
    func annotate(_ image: AnnotationInput) async throws -> Annotation
    /// The input tokens a call for an image of this display size would be billed, by the model's
    /// documented rule on the preview that would be sent; nil for an annotator that bills nothing.
    func estimatedInputTokens(width: Int, height: Int) -> Int?
    /// The API's own count of the input tokens a call for `image` would be billed (Gemini's free
    /// `countTokens`); nil when the annotator has no such count.
    func countInputTokens(for image: AnnotationInput) async throws -> Int?
    /// The annotator's half-price asynchronous mode (`process --batch`); nil when its API has none.
    var batchMode: (any BatchAnnotator)? { get }
}

/// What an annotator gets: the original's bytes, a downscaled JPEG when it asked for one, and
/// what the record already knows.
public struct AnnotationInput: Sendable {
    /// The original's bytes.
    public var data: Data
    /// An upright JPEG whose long side is at most the annotator's `previewSide`.
    public var preview: Data?
    /// The file name the user gave, for prompts and messages.
    public var filename: String
    /// The original's media type, when known.
    public var contentType: String?

    /// An input; `preview` is the downscaled JPEG when the annotator asked for one.
    public init(data: Data, preview: Data? = nil, filename: String, contentType: String?) {
        self.data = data
        self.preview = preview
        self.filename = filename
        self.contentType = contentType
    }
}

/// Why an annotation failed, and what the pipeline should do about it.
public struct AnnotationError: Error, CustomStringConvertible, Sendable {
    /// What the pipeline does with a failed annotation.
    public enum Disposition: Sendable, Equatable {
        /// Trying again will not help (undecodable image, refused request, bad key).
        case permanent
        /// May pass on its own (rate limit, overload, timeout); wait at least `retryAfter` if given.
        case transient(retryAfter: Duration?)
        /// Not this image's fault and no image will fare better now (API unreachable, daily quota):
        /// stop the run and leave the tasks pending.
        case stopRun
    }

    /// What went wrong, in words a user can act on.
    public var reason: String
    /// Whether to retry, give up, or stop the run.
    public var disposition: Disposition

    /// An error with its reason and disposition.
    public init(reason: String, disposition: Disposition) {
        self.reason = reason
        self.disposition = disposition
    }

    /// The image or request is at fault: fail the task, do not retry.
    public static func permanent(_ reason: String) -> AnnotationError { .init(reason: reason, disposition: .permanent) }
    /// Worth another attempt, not before `retryAfter` when the server said so.
    public static func transient(_ reason: String, retryAfter: Duration? = nil) -> AnnotationError {
        .init(reason: reason, disposition: .transient(retryAfter: retryAfter))
    }
    /// Every further call would fail the same way (bad key, quota gone): stop claiming.
    public static func stopRun(_ reason: String) -> AnnotationError { .init(reason: reason, disposition: .stopRun) }

    /// The reason.
    public var description: String { reason }
}
