import Logging
import ServiceLifecycle
import Synchronization

/// One pipeline run as a service: a graceful shutdown becomes the run's stop request (claiming
/// ends, work in flight gets the grace period, the rest is released). Its summary is kept for
/// the caller once the group has ended.
public final class PipelineService: Service {
    private let pipeline: Pipeline
    private let options: PipelineOptions
    private let report: @Sendable (TaskReport) async -> Void
    private let outcome = Mutex<RunSummary?>(nil)

    /// A service running `pipeline` with `options`, calling `report` as each task ends.
    public init(pipeline: Pipeline, options: PipelineOptions, report: @escaping @Sendable (TaskReport) async -> Void) {
        self.pipeline = pipeline
        self.options = options
        self.report = report
    }

    /// The run's summary, once it has ended without an error.
    public var summary: RunSummary? { outcome.withLock { $0 } }

    /// Runs the pipeline until its work is done or the group shuts down.
    public func run() async throws {
        var options = options
        let stop = options.stop ?? StopSignal()
        options.stop = stop
        let run = options
        let summary = try await withGracefulShutdownHandler {
            try await pipeline.run(run, report: report)
        } onGracefulShutdown: {
            stop.request()
        }
        outcome.withLock { $0 = summary }
    }
}
