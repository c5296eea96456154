import Foundation

/// A batch job as the database keeps it: recorded before anything is sent, so a crash at any
/// point leaves something to reconcile, and the tasks it holds are leased to `worker`.
public struct BatchJob: Sendable, Equatable {
    /// What this tool has done with the job.
    public enum Phase: String, Sendable, Codable {
        /// Recorded; its file may be uploaded and its creation sent, but no name is known yet.
        case submitting
        /// Created: the service has it under `name`.
        case submitted
        /// Collected, failed, expired or cancelled: its tasks are recorded or back to pending.
        case finished
    }

    /// `annotate-…`, unique: the job's display name at the service, and its key here.
    public var displayName: String
    /// The service's name once created (`batches/…`).
    public var name: String?
    /// The model its requests ask for.
    public var model: String
    /// The hash of the prompt its requests carry (recorded with each annotation, for `--stale`).
    public var promptHash: String?
    /// Where it is here.
    public var phase: Phase
    /// Its state at the service, as last polled.
    public var state: BatchJobState?
    /// The uploaded request file.
    public var inputFile: String?
    /// Requests it holds.
    public var requests: Int
    /// Requests answered, as last polled.
    public var succeeded: Int
    /// Requests that failed, as last polled.
    public var failed: Int
    /// Why it finished as it did, or the last problem met.
    public var note: String?
    /// When it was recorded.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date

    /// A job recorded now, before anything is sent.
    public init(
        displayName: String, name: String? = nil, model: String, promptHash: String? = nil, phase: Phase = .submitting, state: BatchJobState? = nil,
        inputFile: String? = nil, requests: Int = 0, succeeded: Int = 0, failed: Int = 0, note: String? = nil, createdAt: Date,
        updatedAt: Date
    ) {
        self.displayName = displayName
        self.name = name
        self.model = model
        self.promptHash = promptHash
        self.phase = phase
        self.state = state
        self.inputFile = inputFile
        self.requests = requests
        self.succeeded = succeeded
        self.failed = failed
        self.note = note
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The lease owner of the tasks the job holds.
    public var worker: String { Self.workerPrefix + displayName }

    /// What a batch job's lease owner starts with.
    public static let workerPrefix = "batch:"

    /// The job whose worker name `owner` is, if it is a batch job's.
    public static func displayName(heldBy owner: String?) -> String? {
        guard let owner, owner.hasPrefix(workerPrefix) else { return nil }
        return String(owner.dropFirst(workerPrefix.count))
    }

    /// A new, unique display name.
    public static func newDisplayName(at now: Date) -> String {
        let stamp = Timestamp.iso8601(now).filter { $0.isNumber }
        return "annotate-\(stamp)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// The request key for image `id`, and back.
    public static func key(for id: Int64) -> String { "img-\(id)" }

    /// The image a key names, or nil for a key this tool did not write.
    public static func id(fromKey key: String) -> Int64? {
        guard key.hasPrefix("img-") else { return nil }
        return Int64(key.dropFirst(4))
    }
}
