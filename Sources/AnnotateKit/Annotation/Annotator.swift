import Foundation

/// Describes an image as a caption plus tags.
public protocol Annotator: Sendable {
    /// The name recorded as each annotation's model (provenance), e.g. `metadata-v1`.
    var model: String { get }
    /// Annotates one image; throws `AnnotationError` with a reason a user can act on.
    func annotate(_ image: AnnotationInput) async throws -> Annotation
}

/// What an annotator gets: the original's bytes and what the record already knows.
public struct AnnotationInput: Sendable {
    public var data: Data
    public var filename: String
    public var contentType: String?

    public init(data: Data, filename: String, contentType: String?) {
        self.data = data
        self.filename = filename
        self.contentType = contentType
    }
}

/// Why an annotation failed, and whether trying again later could help.
public struct AnnotationError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    /// True for failures that may pass on their own (rate limits, timeouts, 5xx).
    public var isTransient: Bool

    public init(reason: String, isTransient: Bool) {
        self.reason = reason
        self.isTransient = isTransient
    }

    public var description: String { reason }
}
