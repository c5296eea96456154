import AnnotateCore
import Foundation

/// One delivery of an S3 event: an SQS message (from `process --queue` or Lambda's SQS trigger),
/// or a direct invocation's whole event. Its verdict says whether it may be deleted.
public struct Delivery: Sendable, Equatable {
    /// The message id (or the invocation's request id), as verdicts name it.
    public var id: String
    /// The event document.
    public var body: Data

    /// A delivery of `body`, known as `id`.
    public init(id: String, body: Data) {
        self.id = id
        self.body = body
    }
}

/// What became of one delivery.
public struct DeliveryOutcome: Sendable, Equatable {
    /// The delivery's id.
    public var id: String
    /// Whether it is done with.
    public var verdict: Verdict
    /// The images it named, with their statuses after the run.
    public var images: [ImageState]
    /// Objects it named that were refused, and why (another bucket, not an image, too large).
    public var refused: [String]
    /// Objects it named that are not originals (outside `uploads/`, such as thumbnails).
    public var ignored: [String]

    /// Done with (delete the message) or to be delivered again.
    public enum Verdict: Sendable, Equatable {
        /// Every task it asked for is recorded completed or failed for good (or there was none).
        case done
        /// Something is unfinished (a transient failure, the deadline, an unusable message):
        /// leave it to be delivered again; the reason is logged.
        case redeliver(String)
    }

    /// Whether the delivery is done with.
    public var isDone: Bool { verdict == .done }
}

/// One image's task statuses, as an outcome reports them.
public struct ImageState: Sendable, Equatable {
    /// The image's id.
    public var id: Int64
    /// Its original's key.
    public var key: String
    /// The annotation task's status.
    public var annotation: TaskStatus
    /// The thumbnail task's status.
    public var thumbnail: TaskStatus
    /// A failed or retried task's last error.
    public var error: String?

    /// The state of `record`.
    public init(_ record: ImageRecord) {
        id = record.id
        key = record.originalKey
        annotation = record.annotationStatus
        thumbnail = record.thumbnailStatus
        error = record.annotationError ?? record.thumbnailError
    }

    /// The status of `task`.
    public func status(_ task: TaskKind) -> TaskStatus {
        task == .annotation ? annotation : thumbnail
    }
}
