import AnnotateCore
import Foundation

/// What one `process` run does.
public struct PipelineOptions: Sendable {
    /// Tasks to run (`--only`).
    public var tasks: Set<TaskKind> = Set(TaskKind.allCases)
    /// Only these images (nil: every image with claimable work).
    public var ids: [Int64]?
    /// At most this many images (`--limit`).
    public var limit: Int?
    /// Thumbnail workers (`--jobs`).
    public var jobs = 2
    /// Concurrent annotation calls (`--annotation-jobs`).
    public var annotationJobs = 8
    /// Attempts per task, counted across runs.
    public var maxAttempts = 3
    /// Lease length; renewed every third of it while the worker lives.
    public var lease: Duration = .seconds(600)
    /// Give failed tasks a fresh attempt count first (`--retry-failed`).
    public var retryFailed = false
    /// Run completed tasks again too (`--reprocess`).
    public var reprocess = false
    /// Re-annotate completed annotations made by another model or prompt than the current annotator's (`--stale`).
    public var stale = false
    /// Backoff between attempts at transient failures.
    public var retryPolicy: RetryPolicy = .standard
    /// This worker's name in leases.
    public var worker: String = PipelineOptions.defaultWorkerName()
    /// Keep claiming new work until stopped (`--watch`). Idle, it polls every `pollInterval`,
    /// backing off to `maxPollInterval` while nothing comes.
    public var watch = false
    /// The first idle poll's wait.
    public var pollInterval: Duration = .seconds(1)
    /// The longest idle poll's wait.
    public var maxPollInterval: Duration = .seconds(30)
    /// Ends the run: claiming stops, work in flight gets `grace` to finish, the rest is released.
    public var stop: StopSignal?
    /// How long work in flight may take after a stop before it is released.
    public var grace: Duration = .seconds(30)
    /// Rings when this process adds work (serve's uploads): an idle watching run claims at once.
    public var wake: WorkSignal?
    /// Wait in this run for a transient failure's retry when nothing else is left (false: leave
    /// it pending, with its backoff, for a later run or delivery — the queue and Lambda modes,
    /// where the message coming back is the retry).
    public var waitForRetries = true
    /// Worker permits shared with other runs in this process (the queue worker's concurrent
    /// batches), so `jobs` and `annotationJobs` bound them all together; nil: this run's own.
    public var sharedPermits: WorkerPermits?

    /// The defaults: both tasks, every image, 2 + 8 workers, 3 attempts, 10-minute leases.
    public init() {}

    /// `host:pid:random`, unique per run even when a pid is reused.
    public static func defaultWorkerName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
    }
}

/// Thumbnail and annotation permits several runs draw on together.
public struct WorkerPermits: Sendable {
    /// Bounds thumbnail rendering (`--jobs`).
    public let thumbnail: AsyncSemaphore
    /// Bounds annotation calls (`--annotation-jobs`).
    public let annotation: AsyncSemaphore

    /// Permits for `jobs` thumbnail workers and `annotationJobs` annotation calls.
    public init(jobs: Int, annotationJobs: Int) {
        thumbnail = AsyncSemaphore(permits: jobs)
        annotation = AsyncSemaphore(permits: annotationJobs)
    }
}
