import AnnotateCore

/// One finished task, as `process` prints it.
public struct TaskReport: Sendable, Equatable {
    /// The image's id.
    public var id: Int64
    /// The image's file name.
    public var filename: String
    /// Which task finished.
    public var task: TaskKind
    /// `completed` or `failed`.
    public var status: TaskStatus
    /// Why it failed.
    public var error: String?
    /// How long the annotation API took to answer (annotation tasks only), for `serve`'s metrics.
    public var elapsed: Duration? = nil
}

/// Counts for a whole run.
public struct RunSummary: Sendable, Equatable {
    /// Tasks completed, by kind.
    public var completed: [TaskKind: Int] = [:]
    /// Tasks failed, by kind.
    public var failed: [TaskKind: Int] = [:]
    /// Transient failures put back for another attempt.
    public var retried = 0
    /// Images leased in this run.
    public var images = 0
    /// The run ended on a stop request (SIGINT/SIGTERM) rather than for lack of work.
    public var stopped = false

    /// Every failed task.
    public var failedCount: Int { failed.values.reduce(0, +) }
    /// Every completed task.
    public var completedCount: Int { completed.values.reduce(0, +) }
}
