import Foundation

/// A message received from a work queue: S3 event notifications, one per message.
public struct QueueMessage: Sendable, Equatable {
    /// The queue's id for the message (SQS `MessageId`), the same on every delivery.
    public var id: String
    /// The handle this delivery is deleted or released by (SQS `ReceiptHandle`); changes per delivery.
    public var receipt: String
    /// The body as sent.
    public var body: Data
    /// How many times the queue has handed the message out, this time included.
    public var receiveCount: Int

    /// A message.
    public init(id: String, receipt: String, body: Data, receiveCount: Int) {
        self.id = id
        self.receipt = receipt
        self.body = body
        self.receiveCount = receiveCount
    }
}

/// Where S3 event notifications wait for workers (SQS). A received message is hidden from other
/// workers for its visibility timeout; the worker deletes it once its outcome is recorded, or
/// leaves it to reappear (the queue's redrive policy moves a message received too often to its
/// dead-letter queue).
public protocol WorkQueue: Sendable {
    /// The queue as a user names it (its URL), for messages.
    var displayName: String { get }
    /// Waits up to `wait` for up to `maxMessages` (1–10) messages, hiding each for `visibility`.
    /// Returns an empty list when none came. Throws `WorkQueueError`.
    func receive(maxMessages: Int, wait: Duration, visibility: Duration) async throws -> [QueueMessage]
    /// Hides these deliveries for `visibility` from now: longer to keep working, zero to hand
    /// them to another worker at once. Returns the ids it could not change (already gone).
    func setVisibility(_ messages: [QueueMessage], to visibility: Duration) async throws -> [String]
    /// Deletes these deliveries (their work is recorded). Returns the ids it could not delete.
    func delete(_ messages: [QueueMessage]) async throws -> [String]
}

/// Queue failures, naming the queue and sorted by what a caller should do.
public enum WorkQueueError: Error, CustomStringConvertible, ExitStatusProviding {
    /// The queue service cannot be reached or keeps failing: try later.
    case unavailable(queue: String, reason: String)
    /// A setting is wrong (no such queue, access denied, bad credentials): every call would fail.
    case configuration(queue: String, reason: String)

    /// What failed and what to check.
    public var description: String {
        switch self {
        case .unavailable(let queue, let reason): "the queue \(queue) is not reachable: \(reason)"
        case .configuration(let queue, let reason): "the queue \(queue) cannot be used: \(reason)"
        }
    }

    /// 69 for an outage, 78 for a setting to fix.
    public var exitStatus: ExitStatus {
        switch self {
        case .unavailable: .unavailable
        case .configuration: .configuration
        }
    }
}
