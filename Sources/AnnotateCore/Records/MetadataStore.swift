import Foundation

/// The database of image records and task states. Every implementation passes the same
/// conformance suite (Tests/AnnotateKitTests/Metadata).
public protocol MetadataStore: Sendable {
    /// Records a new image with both tasks pending, or reports the id already holding these bytes.
    func insert(_ image: NewImage, at now: Date) async throws -> InsertOutcome
    /// The record with this id, or nil.
    func record(id: Int64) async throws -> ImageRecord?
    /// The record holding bytes with this hash, or nil.
    func record(sha256: String) async throws -> ImageRecord?
    /// Records in id order after `cursor` (keyset pagination), optionally filtered.
    func records(after cursor: Int64?, limit: Int, filter: RecordFilter) async throws -> [ImageRecord]
    /// Records newest first (descending id) before `cursor`, optionally filtered: the web gallery's pages.
    func recordsNewestFirst(before cursor: Int64?, limit: Int, filter: RecordFilter) async throws -> [ImageRecord]
    /// Puts finished tasks back to `pending` with a fresh attempt count (for --retry-failed / --reprocess).
    func reset(_ request: ResetRequest, at now: Date) async throws -> Int
    /// Atomically leases up to `request.limit` images with claimable tasks to one worker.
    func claim(_ request: ClaimRequest, at now: Date) async throws -> [ClaimedImage]
    /// Extends every lease `worker` holds to `until`.
    func renewLeases(worker: String, until: Date, at now: Date) async throws
    /// Records a task's outcome if `worker` still holds its lease; returns false when it lost it.
    func record(_ outcome: TaskOutcome, at now: Date) async throws -> Bool
    /// Returns every task `worker` holds to `pending`, keeping attempt counts (clean shutdown).
    func releaseLeases(worker: String, at now: Date) async throws
    /// The earliest time a pending task in scope that waits for a retry becomes claimable, if any
    /// (tasks other workers hold are not waited for: their leases are theirs).
    func nextRetry(tasks: Set<TaskKind>, ids: [Int64]?) async throws -> Date?
    /// Counts per task and status, plus token totals.
    func summary() async throws -> StatusSummary
    /// The tokens every recorded annotation was billed, per model and tier (replaced ones included).
    func usage() async throws -> [UsageTotal]
    /// Records a batch job, or updates the one of the same display name (its hold aside).
    func saveBatchJob(_ job: BatchJob) async throws
    /// The batch jobs not yet finished (and the finished ones too, when asked), oldest first.
    func batchJobs(includingFinished: Bool) async throws -> [BatchJob]
    /// Takes the job for `owner` until `until` — false while another owner's hold is live — so
    /// one process at a time submits, reconciles or collects it.
    func takeBatchJob(_ displayName: String, owner: String, until: Date, at now: Date) async throws -> Bool
    /// Gives up `owner`'s hold on the job.
    func releaseBatchJob(_ displayName: String, owner: String) async throws
    /// Forgets a job that was never sent (it held nothing, or its tasks are released).
    func deleteBatchJob(_ displayName: String) async throws
    /// The most recently updated records with a failed task.
    func latestFailures(limit: Int) async throws -> [ImageRecord]
    /// A cheap round trip, for health checks.
    func ping() async throws
    /// A number that differs from the last one read whenever any record may have changed since,
    /// by this process or another; nil when the store cannot tell (nothing made from records may
    /// then be kept). Pages built from records are reused while it stays the same.
    func changeVersion() async throws -> Int64?
    /// The change version when it can be had at once, without waiting on a lock, a thread or
    /// another machine (a local SQLite file answers in a microsecond); nil when it cannot, and
    /// the caller then asks `changeVersion()`. `serve` reads it on the event loop to answer a kept
    /// page without leaving it.
    func immediateChangeVersion() -> Int64?
    /// Closes its connections; whoever opened the store calls this once, when nothing uses it
    /// any more (see `Components.close`).
    func close() async
}

extension MetadataStore {
    /// Nothing to close.
    public func close() async {}

    /// Reading the version needs a round trip.
    public func immediateChangeVersion() -> Int64? { nil }

    /// Every record matching `filter`, read in keyset pages of `pageSize`.
    public func allRecords(filter: RecordFilter, pageSize: Int = 500) async throws -> [ImageRecord] {
        var records: [ImageRecord] = []
        var cursor: Int64? = nil
        while true {
            let page = try await self.records(after: cursor, limit: pageSize, filter: filter)
            records += page
            guard let last = page.last, page.count == pageSize else { return records }
            cursor = last.id
        }
    }
}

/// Which records a listing returns.
public enum RecordFilter: Sendable, Equatable {
    case all
    /// Both tasks completed.
    case completed
    /// Either task failed.
    case failed
    /// Either task pending or processing.
    case unfinished
    /// Only these ids.
    case ids([Int64])
    /// Annotation tasks leased to this worker (a batch job's tasks).
    case annotationsHeldBy(String)
}

/// A request to lease work.
public struct ClaimRequest: Sendable {
    /// Who takes the lease, e.g. `host:pid:random`.
    public var worker: String
    /// Which tasks to take.
    public var tasks: Set<TaskKind>
    /// Only these images (nil: any).
    public var ids: [Int64]?
    /// At most this many images.
    public var limit: Int
    /// Lease length; a worker that vanishes loses its tasks after this.
    public var lease: Duration
    /// A task claimed this many times already is failed instead of claimed again.
    public var maxAttempts: Int

    /// A claim for `worker` of up to `limit` images, leased for `lease`.
    public init(worker: String, tasks: Set<TaskKind>, ids: [Int64]?, limit: Int, lease: Duration, maxAttempts: Int) {
        self.worker = worker
        self.tasks = tasks
        self.ids = ids
        self.limit = limit
        self.lease = lease
        self.maxAttempts = maxAttempts
    }
}

/// An image leased to a worker, with the tasks it now holds.
public struct ClaimedImage: Sendable {
    /// The image as it was when claimed.
    public var record: ImageRecord
    /// The tasks of it this claim leased.
    public var tasks: Set<TaskKind>

    /// `record`, holding `tasks`.
    public init(record: ImageRecord, tasks: Set<TaskKind>) {
        self.record = record
        self.tasks = tasks
    }
}

/// A request to put finished tasks back to pending.
public struct ResetRequest: Sendable {
    /// The tasks to reset.
    public var tasks: Set<TaskKind>
    /// Which finished states to reset (`failed`, and `completed` for --reprocess).
    public var from: Set<TaskStatus>
    /// Only these images (nil: any).
    public var ids: [Int64]?
    /// At most this many images (nil: all).
    public var limit: Int?
    /// Also completed annotations made by another model or prompt than these (`--stale`).
    public var staleAgainst: AnnotationProvenance?

    /// A reset of `tasks` in the states `from` (or stale against `staleAgainst`).
    public init(tasks: Set<TaskKind>, from: Set<TaskStatus>, ids: [Int64]?, limit: Int?, staleAgainst: AnnotationProvenance? = nil) {
        self.tasks = tasks
        self.from = from
        self.ids = ids
        self.limit = limit
        self.staleAgainst = staleAgainst
    }
}

/// Which model and prompt made an annotation.
public struct AnnotationProvenance: Sendable, Equatable {
    /// The current annotator's model.
    public var model: String
    /// The current prompt's hash.
    public var promptHash: String?

    /// The provenance of annotations made now.
    public init(model: String, promptHash: String?) {
        self.model = model
        self.promptHash = promptHash
    }
}

/// How a leased task ended.
public struct TaskOutcome: Sendable {
    /// What to record.
    public enum Result: Sendable {
        case annotated(Annotation)
        case thumbnailed(key: String)
        /// Failed for good, with a reason and its class.
        case failed(String, FailureClass = .permanent)
        /// Failed for now; back to pending, claimable again from `notBefore`. (A task out of
        /// attempts is failed by the next claim, with this reason.)
        case retry(String, notBefore: Date)
        /// Not attempted after all (the run is stopping): back to pending, the attempt not counted.
        case released
    }

    /// The image.
    public var id: Int64
    /// Which of its tasks.
    public var task: TaskKind
    /// The worker that must still hold the lease for the write to happen.
    public var worker: String
    /// What to record.
    public var result: Result

    /// An outcome of `task` of image `id`, written only under `worker`'s lease.
    public init(id: Int64, task: TaskKind, worker: String, result: Result) {
        self.id = id
        self.task = task
        self.worker = worker
        self.result = result
    }
}

/// Counts per task and status.
public struct StatusSummary: Sendable, Equatable {
    /// Images recorded.
    public var total: Int
    /// Annotation tasks by state.
    public var annotation: [TaskStatus: Int]
    /// Thumbnail tasks by state.
    public var thumbnail: [TaskStatus: Int]
    /// Tokens billed over all annotations.
    public var tokens: Int

    /// Tasks pending or processing, over both kinds.
    public var unfinished: Int {
        (annotation[.pending] ?? 0) + (annotation[.processing] ?? 0) + (thumbnail[.pending] ?? 0) + (thumbnail[.processing] ?? 0)
    }

    /// Failed tasks over both kinds.
    public var failed: Int {
        (annotation[.failed] ?? 0) + (thumbnail[.failed] ?? 0)
    }
}

extension StatusSummary {
    /// The summary from `image_counts` rows (task, status, count); the `tokens` task holds the
    /// token total, and every image has exactly one annotation status, so those add up to the total.
    package init(counts: [(task: String, status: String, n: Int)]) {
        self.init(total: 0, annotation: [:], thumbnail: [:], tokens: 0)
        for (task, status, n) in counts {
            let status = TaskStatus(rawValue: status) ?? .pending
            switch TaskKind(rawValue: task) {
            case .annotation:
                annotation[status, default: 0] += n
                total += n
            case .thumbnail:
                thumbnail[status, default: 0] += n
            case nil:
                if task == "tokens" { tokens += n }
            }
        }
        annotation = annotation.filter { $0.value != 0 }
        thumbnail = thumbnail.filter { $0.value != 0 }
    }
}

/// Database failures, naming what failed and what to do.
public enum MetadataStoreError: Error, CustomStringConvertible, ExitStatusProviding {
    case unavailable(database: String, reason: String)
    /// The server refused the credentials or the database: a setting to fix.
    case refused(database: String, reason: String)
    case query(operation: String, reason: String)
    case unknownID(Int64)

    /// The database, the operation and what to do.
    public var description: String {
        switch self {
        case .unavailable(let database, let reason):
            "cannot open the database \(database): \(reason)"
        case .refused(let database, let reason):
            "the database \(database) refused the connection: \(reason)"
        case .query(let operation, let reason):
            "database error while trying to \(operation): \(reason)"
        case .unknownID(let id):
            "no image with id \(id)"
        }
    }

    /// 69 when the database cannot be reached or fails, 78 when it refuses the credentials, 1 for an unknown id.
    public var exitStatus: ExitStatus {
        switch self {
        case .unavailable: .unavailable
        case .refused: .configuration
        case .query: .unavailable
        case .unknownID: .itemsFailed
        }
    }
}
