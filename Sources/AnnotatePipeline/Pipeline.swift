import AnnotateCore
import Foundation
import Logging

/// The processing pipeline: lease work → fetch each original once → run annotation and thumbnail
/// concurrently → record each outcome separately. It knows only the role protocols.
public struct Pipeline: Sendable {
    let metadata: any MetadataStore
    let originals: any ObjectStore
    let thumbnails: any ObjectStore
    let annotator: any Annotator
    let thumbnailer: any Thumbnailer
    let logger: Logger

    /// A pipeline over these parts.
    public init(
        metadata: any MetadataStore, originals: any ObjectStore, thumbnails: any ObjectStore,
        annotator: any Annotator, thumbnailer: any Thumbnailer, logger: Logger
    ) {
        self.metadata = metadata
        self.originals = originals
        self.thumbnails = thumbnails
        self.annotator = annotator
        self.thumbnailer = thumbnailer
        self.logger = logger
    }

    /// Processes claimable work until none is left in scope; `report` hears of each finished task.
    /// Throws only when the database itself fails; per-image problems become reports.
    public func run(_ options: PipelineOptions, report: @escaping @Sendable (TaskReport) async -> Void) async throws -> RunSummary {
        let resetFrom: Set<TaskStatus> = options.reprocess ? [.failed, .completed] : (options.retryFailed ? [.failed] : [])
        let stale =
            options.stale && options.tasks.contains(.annotation)
            ? AnnotationProvenance(model: annotator.model, promptHash: annotator.promptHash) : nil
        if !resetFrom.isEmpty || stale != nil {
            let count = try await metadata.reset(
                ResetRequest(tasks: options.tasks, from: resetFrom, ids: options.ids, limit: options.limit, staleAgainst: stale), at: Date())
            logger.info("tasks put back to pending", metadata: ["count": "\(count)"])
        }
        let run = Run(pipeline: self, options: options, report: report)
        do {
            // The first child to end decides: the work runs out (or drains after a stop), or the
            // grace period after a stop runs out first and everything still running is cancelled.
            let summary = try await withThrowingTaskGroup(of: RunSummary?.self) { group in
                group.addTask { try await run.claimAndProcess() }
                group.addTask {
                    try await run.renewLeasesForever()
                    return nil
                }
                if let stop = options.stop {
                    group.addTask {
                        await stop.wait()
                        try await Task.sleep(for: options.grace)
                        throw GracePeriodOver()
                    }
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let summary = result { return summary }
                }
                return run.tally.summary
            }
            // Nothing should still be leased to this worker. Something is when a claim committed
            // but its answer was lost (the database restarted at that moment): hand it back now
            // rather than after the lease.
            try? await metadata.releaseLeases(worker: options.worker, at: Date())
            return summary
        } catch is GracePeriodOver {
            logger.warning("the grace period ran out; unfinished tasks go back to pending", metadata: ["grace": "\(options.grace)"])
            try? await metadata.releaseLeases(worker: options.worker, at: Date())
            var summary = run.tally.summary
            summary.stopped = true
            return summary
        } catch {
            // Whatever is still leased goes back to pending at once rather than after the lease.
            try? await metadata.releaseLeases(worker: options.worker, at: Date())
            throw error
        }
    }
}

/// The stop request's grace period ended before the work in flight did.
private struct GracePeriodOver: Error {}

/// The run's counts so far, readable after the run was cancelled.
private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var current = RunSummary()
    var summary: RunSummary { lock.withLock { current } }
    func update(_ change: (inout RunSummary) -> Void) { lock.withLock { change(&current) } }
}

/// One run's state and its two loops.
private struct Run: Sendable {
    let pipeline: Pipeline
    let options: PipelineOptions
    let report: @Sendable (TaskReport) async -> Void
    let thumbnailPermits: AsyncSemaphore
    let annotationPermits: AsyncSemaphore
    let tally = Tally()

    init(pipeline: Pipeline, options: PipelineOptions, report: @escaping @Sendable (TaskReport) async -> Void) {
        self.pipeline = pipeline
        self.options = options
        self.report = report
        let permits = options.sharedPermits ?? WorkerPermits(jobs: options.jobs, annotationJobs: options.annotationJobs)
        thumbnailPermits = permits.thumbnail
        annotationPermits = permits.annotation
    }

    var metadata: any MetadataStore { pipeline.metadata }
    var logger: Logger { pipeline.logger }

    /// Keeps this worker's leases alive while it works; a vanished worker's expire.
    func renewLeasesForever() async throws {
        let interval = Duration.milliseconds(Int64(options.lease.seconds * 1000 / 3))
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            do {
                try await metadata.renewLeases(worker: options.worker, until: Date().addingTimeInterval(options.lease.seconds), at: Date())
            } catch {
                logger.warning("could not renew leases", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Streams images through, carrying out the `ClaimSchedule`'s steps: keeps enough leased to
    /// feed both kinds of workers, no more; `--limit` bounds distinct images.
    func claimAndProcess() async throws -> RunSummary {
        try await withThrowingTaskGroup(of: [TaskOutcomeReport].self) { group in
            var schedule = ClaimSchedule(options: options)
            var step = ClaimSchedule.Step.nextRound
            while step != .finish {
                switch step {
                case .nextRound:
                    try Task.checkCancellation()
                    step = schedule.begin(stopping: options.stop?.isRequested ?? false)
                case .claim(let limit, let ids):
                    let request = ClaimRequest(
                        worker: options.worker, tasks: options.tasks, ids: ids, limit: limit,
                        lease: options.lease, maxAttempts: options.maxAttempts)
                    let images = try await metadata.claim(request, at: Date())
                    for image in images { group.addTask { try await process(image) } }
                    step = schedule.claimed(images.map(\.record.id))
                    let count = schedule.seen.count
                    tally.update { $0.images = count }
                case .awaitOne:
                    if let outcomes = try await group.next() {
                        schedule.finishedOne()
                        tally.update { $0.add(outcomes) }
                    }
                    step = .nextRound
                case .checkRetries(let ids):
                    step = schedule.retryDue(try await metadata.nextRetry(tasks: options.tasks, ids: ids), now: Date())
                case .sleep(let wait):
                    logger.debug("waiting for work", metadata: ["seconds": "\(wait.seconds)"])
                    await idleWait(wait)
                    step = .nextRound
                case .finish:
                    break
                }
            }
        }
        var summary = tally.summary
        summary.stopped = options.stop?.isRequested ?? false
        return summary
    }

    /// Sleeps for `duration`, ended early by a stop request or by new work in this process.
    func idleWait(_ duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            if let wake = options.wake {
                group.addTask { await wake.wait(upTo: duration) }
            } else {
                group.addTask { try? await Task.sleep(for: duration) }
            }
            if let stop = options.stop { group.addTask { await stop.wait() } }
            await group.next()
            group.cancelAll()
        }
    }

    /// Fetches the original once, decodes it once for the thumbnail and the annotator's preview,
    /// then stores the thumbnail and calls the annotator concurrently.
    func process(_ image: ClaimedImage) async throws -> [TaskOutcomeReport] {
        let record = image.record
        let tasks = image.tasks.sorted { $0.rawValue < $1.rawValue }
        let data: Data
        do {
            data = try await pipeline.originals.get(ObjectKey(record.originalKey))
        } catch {
            let transient = (error as? ObjectStoreError)?.isTransient ?? true
            var outcomes: [TaskOutcomeReport] = []
            for task in tasks { outcomes.append(try await finish(record, task, .failure("\(error)", transient: transient))) }
            return outcomes
        }
        let wantsThumbnail = image.tasks.contains(.thumbnail)
        let previewSide = image.tasks.contains(.annotation) ? pipeline.annotator.previewSide : nil
        let rendering: Result<Rendering, Error> =
            wantsThumbnail || previewSide != nil
            ? await Result(catchingAsync: {
                try await thumbnailPermits.withPermit {
                    try await pipeline.thumbnailer.render(data, thumbnail: wantsThumbnail, previewSide: previewSide)
                }
            })
            : .success(Rendering())
        async let annotation = image.tasks.contains(.annotation) ? annotate(record, data, rendering, needsPreview: previewSide != nil) : nil
        async let thumbnail = wantsThumbnail ? storeThumbnail(record, rendering) : nil
        return [try await annotation, try await thumbnail].compactMap { $0 }
    }

    private func annotate(
        _ record: ImageRecord, _ data: Data, _ rendering: Result<Rendering, Error>,
        needsPreview: Bool
    ) async throws -> TaskOutcomeReport {
        let preview: Data?
        switch rendering {
        case .success(let rendered): preview = rendered.preview
        case .failure(let error) where needsPreview: return try await finish(record, .annotation, .failure("\(error)", transient: false))
        case .failure: preview = nil
        }
        let input = AnnotationInput(data: data, preview: preview, filename: record.filename, contentType: record.contentType)
        let result: TaskResult
        var elapsed: Duration?
        do {
            let (annotation, took) = try await annotationPermits.withPermit {
                let start = ContinuousClock.now
                let annotation = try await pipeline.annotator.annotate(input)
                return (annotation, ContinuousClock.now - start)
            }
            elapsed = took
            result = .success(.annotated(annotation))
        } catch let error as AnnotationError {
            switch error.disposition {
            case .permanent: result = .failure(error.reason, transient: false)
            case .transient(let retryAfter): result = .failure(error.reason, transient: true, retryAfter: retryAfter)
            case .stopRun:
                _ = try await finish(record, .annotation, .success(.released))
                throw ServiceStopped(reason: error.reason)
            }
        } catch {
            result = .failure("\(error)", transient: false)
        }
        return try await finish(record, .annotation, result, elapsed: elapsed)
    }

    private func storeThumbnail(_ record: ImageRecord, _ rendering: Result<Rendering, Error>) async throws -> TaskOutcomeReport {
        let result: TaskResult
        switch rendering {
        case .failure(let error):
            result = .failure("\(error)", transient: false)
        case .success(let rendered):
            guard let thumbnail = rendered.thumbnail else {
                result = .failure("no thumbnail was produced", transient: false)
                break
            }
            do {
                let key = try ObjectKey.thumbnail(forOriginal: record.originalKey, fileExtension: pipeline.thumbnailer.fileExtension)
                try await pipeline.thumbnails.put(thumbnail.data, at: key, contentType: thumbnail.format.contentType)
                result = .success(.thumbnailed(key: key.rawValue))
            } catch let error as ObjectStoreError {
                result = .failure("\(error)", transient: error.isTransient)
            }
        }
        return try await finish(record, .thumbnail, result)
    }

    /// Records the outcome (if this worker still holds the lease) and reports finished tasks.
    private func finish(
        _ record: ImageRecord, _ task: TaskKind, _ result: TaskResult,
        elapsed: Duration? = nil
    ) async throws -> TaskOutcomeReport {
        // Cancelled (the grace period after a stop ran out): record nothing; the run releases the
        // lease, so the task is simply pending again, its attempt not counted.
        try Task.checkCancellation()
        let outcome: TaskOutcome.Result
        switch result {
        case .success(let done):
            outcome = done
        case .failure(let reason, let transient, let retryAfter):
            outcome = options.retryPolicy.outcome(
                ofFailure: reason, transient: transient, serverHint: retryAfter,
                attempts: task == .annotation ? record.annotationAttempts : record.thumbnailAttempts,
                maxAttempts: options.maxAttempts, now: Date())
        }
        let held = try await metadata.record(TaskOutcome(id: record.id, task: task, worker: options.worker, result: outcome), at: Date())
        guard held else {
            logger.warning(
                "lease lost before the task finished; another worker owns it now",
                metadata: ["image.id": "\(record.id)", "task": "\(task)"])
            return .leaseLost
        }
        let taskReport: TaskReport
        switch outcome {
        case .annotated, .thumbnailed:
            taskReport = TaskReport(id: record.id, filename: record.filename, task: task, status: .completed, error: nil, elapsed: elapsed)
        case .failed(let reason, _):
            taskReport = TaskReport(id: record.id, filename: record.filename, task: task, status: .failed, error: reason, elapsed: elapsed)
        case .retry(let reason, let notBefore):
            logger.info(
                "will retry",
                metadata: [
                    "image.id": "\(record.id)", "task": "\(task)", "reason": "\(reason)",
                    "after": "\(Timestamp.iso8601(notBefore))",
                ])
            return .retried
        case .released:
            return .released
        }
        await report(taskReport)
        return .finished(taskReport)
    }
}

private enum TaskResult {
    case success(TaskOutcome.Result)
    case failure(String, transient: Bool, retryAfter: Duration? = nil)
}

private enum TaskOutcomeReport: Sendable {
    case finished(TaskReport)
    case retried
    case released
    case leaseLost
}

private extension RunSummary {
    mutating func add(_ outcomes: [TaskOutcomeReport]) {
        for outcome in outcomes {
            switch outcome {
            case .finished(let report) where report.status == .completed: completed[report.task, default: 0] += 1
            case .finished(let report): failed[report.task, default: 0] += 1
            case .retried: retried += 1
            case .released, .leaseLost: break
            }
        }
    }
}
