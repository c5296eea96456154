import AnnotateCore
import Foundation
import Logging

/// `process --batch`: first collects the jobs in flight, then submits the selected annotation
/// tasks as new jobs, then (with `--wait`) polls until none is left in flight. Thumbnails run
/// as usual, here. Every step is recorded before the next can fail, so a run killed at any
/// point is finished by the next one: no outcome lost, no task in two jobs.
public struct BatchRun: Sendable {
    let pipeline: Pipeline
    let batch: any BatchAnnotator
    var options: PipelineOptions
    let batchOptions: BatchOptions
    let reportTask: @Sendable (TaskReport) async -> Void
    let reportJob: @Sendable (BatchJobReport) async -> Void

    var metadata: any MetadataStore { pipeline.metadata }
    var logger: Logger { pipeline.logger }
    /// This run's name as a job's holder (the same as its task leases').
    var owner: String { options.worker }

    /// A run through the batch mode of `pipeline`'s annotator; throws when it has none.
    public init(
        pipeline: Pipeline, options: PipelineOptions, batchOptions: BatchOptions,
        reportTask: @escaping @Sendable (TaskReport) async -> Void, reportJob: @escaping @Sendable (BatchJobReport) async -> Void
    ) throws {
        guard let batch = pipeline.annotator.batchMode else {
            throw BatchServiceError.unsupported(
                "--batch needs an annotator with a batch API (gemini, or openai where the server has one); \(pipeline.annotator.model) runs here, at once"
            )
        }
        self.pipeline = pipeline
        self.batch = batch
        self.options = options
        self.batchOptions = batchOptions
        self.reportTask = reportTask
        self.reportJob = reportJob
    }

    /// Collects, submits, waits if asked, and makes the thumbnails.
    public func run() async throws -> BatchSummary {
        var summary = BatchSummary()
        if options.tasks.contains(.annotation) {
            try await collectAll(into: &summary)
            try await resetSelection()
            try await submitAll(into: &summary)
            // Waiting, the retries a collection gives back go out at once too.
            while batchOptions.wait && summary.inFlight > 0 && !(options.stop?.isRequested ?? false) {
                try await pause(batchOptions.pollInterval)
                try await collectAll(into: &summary)
                try await submitAll(into: &summary)
            }
        }
        if options.tasks.contains(.thumbnail) && !(options.stop?.isRequested ?? false) {
            var thumbnails = options
            thumbnails.tasks = [.thumbnail]
            let run = try await pipeline.run(thumbnails, report: reportTask)
            summary.run.merge(run)
        }
        summary.run.stopped = options.stop?.isRequested ?? false
        return summary
    }

    /// Sleeps, ended early by a stop.
    func pause(_ duration: Duration) async throws {
        guard let stop = options.stop else { return try await Task.sleep(for: duration) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask { await stop.wait() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Records `result` for a task `worker` holds and reports it; false when the hold is gone
    /// (another run recorded it first).
    @discardableResult
    func record(_ record: ImageRecord, _ result: TaskOutcome.Result, worker: String, into summary: inout BatchSummary) async throws -> Bool {
        guard try await metadata.record(TaskOutcome(id: record.id, task: .annotation, worker: worker, result: result), at: Date()) else {
            return false
        }
        switch result {
        case .annotated:
            summary.run.completed[.annotation, default: 0] += 1
            await reportTask(TaskReport(id: record.id, filename: record.filename, task: .annotation, status: .completed, error: nil))
        case .failed(let reason, _):
            summary.run.failed[.annotation, default: 0] += 1
            await reportTask(TaskReport(id: record.id, filename: record.filename, task: .annotation, status: .failed, error: reason))
        case .retry(let reason, _):
            summary.run.retried += 1
            logger.info("will retry", metadata: ["image.id": "\(record.id)", "task": "annotation", "reason": "\(reason)"])
        case .released, .thumbnailed:
            break
        }
        return true
    }
}

extension RunSummary {
    /// Adds another run's counts to these.
    mutating func merge(_ other: RunSummary) {
        for (task, n) in other.completed { completed[task, default: 0] += n }
        for (task, n) in other.failed { failed[task, default: 0] += n }
        retried += other.retried
        images = max(images, other.images)
        stopped = stopped || other.stopped
    }
}
