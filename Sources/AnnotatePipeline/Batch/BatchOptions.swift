import AnnotateCore

/// What `process --batch` does beyond the ordinary run's options.
public struct BatchOptions: Sendable {
    /// A job still pending or running after this long is cancelled and its tasks re-queued (`--batch-deadline`).
    public var deadline: Duration = .seconds(24 * 3600)
    /// The most requests one job takes (`--batch-size`); more are split into several jobs.
    public var jobSize = 5_000
    /// Keep polling until no job is in flight, collecting as each finishes (`--wait`).
    public var wait = false
    /// How often to poll while waiting (`--batch-poll`).
    public var pollInterval: Duration = .seconds(30)

    /// The defaults: 24 h deadline, 5,000 requests a job, no waiting.
    public init() {}

    /// How long a job's tasks stay leased to it: past the deadline and the service's own 48 h
    /// expiry, so a job that vanished from the database gives its tasks back only once the
    /// service can no longer answer them.
    public var taskLease: Duration { max(deadline, .seconds(48 * 3600)) + .seconds(3600) }
}

/// One job submitted or collected by a run, for its report.
public struct BatchJobReport: Sendable, Equatable {
    /// What happened to it in this run.
    public enum Event: String, Sendable {
        case submitted, collected, requeued, cancelled, abandoned
    }

    /// The job.
    public var job: BatchJob
    /// What happened.
    public var event: Event
}

/// A `process --batch` run's counts.
public struct BatchSummary: Sendable, Equatable {
    /// Tasks recorded from results, and thumbnails made.
    public var run = RunSummary()
    /// Jobs submitted in this run, and their requests.
    public var submitted = 0
    /// Requests in the jobs submitted.
    public var requests = 0
    /// Jobs whose results were recorded (or whose tasks were re-queued) in this run.
    public var collected = 0
    /// Jobs still pending or running at the end.
    public var inFlight = 0
}
