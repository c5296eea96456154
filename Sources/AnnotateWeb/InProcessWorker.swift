import AnnotatePipeline
import Foundation
import Logging
import ServiceLifecycle

/// `serve`'s own processing: a watching pipeline run beside the web server, woken by each
/// upload (the event-driven path of the original design) and polling for work other instances
/// add. It claims through the database like any `process --watch` worker, so they share the
/// load. On graceful shutdown it stops claiming, lets work in flight finish within the grace
/// period, and releases the rest.
public struct InProcessWorker: Service {
    let pipeline: Pipeline
    let options: PipelineOptions
    let metrics: WebMetrics?
    let logger: Logger

    /// A worker for `app`: woken by its uploads, reporting to its metrics.
    public init(pipeline: Pipeline, options: PipelineOptions, app: WebApp, logger: Logger) {
        var options = options
        options.watch = true
        options.wake = app.wake
        // The drain's start, not the shutdown's turn to reach this worker, ends its claiming.
        options.stop = app.drain.workerStop
        // Uploads here ring the bell; polling only finds other instances' work, so it may be slow.
        options.maxPollInterval = .seconds(10)
        self.pipeline = pipeline
        self.options = options
        self.metrics = app.metrics
        self.logger = logger
    }

    /// Processes until the server shuts down, pausing (not failing) when a backend is down.
    public func run() async throws {
        let stop = options.stop ?? StopSignal()
        try await withGracefulShutdownHandler {
            try await run(stoppingOn: stop)
        } onGracefulShutdown: {
            stop.request()
        }
        // Stopped by the drain, before the group's shutdown reached this service: wait for that
        // turn, since a service that ends out of turn fails the group's shutdown.
        try? await gracefulShutdown()
    }

    /// Processes until `stop` is requested (or the task is cancelled).
    func run(stoppingOn stop: StopSignal) async throws {
        var options = options
        options.stop = stop
        let metrics = metrics, logger = logger, pipeline = pipeline, run = options
        // A failing database or annotation API must not take the web front down with it: say
        // so, wait, and try again until the server stops. Cancelled (the server failed, e.g. its
        // port was taken): end, do not retry.
        while !stop.isRequested && !Task.isCancelled {
            do {
                _ = try await pipeline.run(run) { report in
                    if report.task == .annotation, let elapsed = report.elapsed { metrics?.annotationFinished(after: elapsed) }
                    var metadata: Logger.Metadata = [
                        "image.id": "\(report.id)", "task": "\(report.task.rawValue)", "status": "\(report.status.rawValue)",
                    ]
                    if let error = report.error { metadata["error"] = "\(error)" }
                    logger.info("task finished", metadata: metadata)
                }
            } catch {
                logger.error("processing paused; retrying in 30 s", metadata: ["error": "\(error)"])
                await stop.sleep(for: .seconds(30))
            }
        }
    }
}
