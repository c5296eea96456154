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
}

/// What an annotator gets: the original's bytes, a downscaled JPEG when it asked for one, and
/// what the record already knows.
public struct AnnotationInput: Sendable {
    public var data: Data
    /// An upright JPEG whose long side is at most the annotator's `previewSide`.
    public var preview: Data?
    public var filename: String
    public var contentType: String?

    public init(data: Data, preview: Data? = nil, filename: String, contentType: String?) {
        self.data = data
        self.preview = preview
        self.filename = filename
        self.contentType = contentType
    }
}

/// Why an annotation failed, and what the pipeline should do about it.
public struct AnnotationError: Error, CustomStringConvertible, Sendable {
    public enum Disposition: Sendable, Equatable {
        /// Trying again will not help (undecodable image, refused request, bad key).
        case permanent
        /// May pass on its own (rate limit, overload, timeout); wait at least `retryAfter` if given.
        case transient(retryAfter: Duration?)
        /// Not this image's fault and no image will fare better now (API unreachable, daily quota):
        /// stop the run and leave the tasks pending.
        case stopRun
    }

    public var reason: String
    public var disposition: Disposition

    public init(reason: String, disposition: Disposition) {
        self.reason = reason
        self.disposition = disposition
    }

    public static func permanent(_ reason: String) -> AnnotationError { .init(reason: reason, disposition: .permanent) }
    public static func transient(_ reason: String, retryAfter: Duration? = nil) -> AnnotationError {
        .init(reason: reason, disposition: .transient(retryAfter: retryAfter))
    }
    public static func stopRun(_ reason: String) -> AnnotationError { .init(reason: reason, disposition: .stopRun) }

    public var description: String { reason }
}
