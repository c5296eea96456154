import AnnotateCore
import ServiceLifecycle
import Synchronization

/// `process --batch` as a service in the one lifecycle: SIGINT/SIGTERM stop it between steps
/// (a job half submitted is reconciled by the next run), and thumbnails in flight get `--grace`.
public final class BatchService: Service {
    private let batchRun: BatchRun
    private let outcome = Mutex<BatchSummary?>(nil)

    /// A service carrying out `run`.
    public init(run: BatchRun) {
        batchRun = run
    }

    /// The run's summary, once it has ended without an error.
    public var summary: BatchSummary? { outcome.withLock { $0 } }

    /// Runs until its work is done or the group shuts down.
    public func run() async throws {
        var run = batchRun
        let stop = run.options.stop ?? StopSignal()
        run.options.stop = stop
        let finished = run
        let summary = try await withGracefulShutdownHandler {
            try await finished.run()
        } onGracefulShutdown: {
            stop.request()
        }
        outcome.withLock { $0 = summary }
    }
}
