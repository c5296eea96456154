import AnnotateCore
import Foundation
import Logging

/// Processes deliveries of S3 events — `process --queue`'s messages, a Lambda invocation's —
/// exactly as `process --event` does: registers each created object under `uploads/` that has
/// no record yet, runs the pipeline over their images (claims still make each task run once,
/// however often a message is delivered), then reads the records back to say, per delivery,
/// whether it is done with or must come back. Transient failures are not retried in the run:
/// the delivery coming back is the retry, so a queue's redrive policy sees every attempt.
public struct EventProcessor: Sendable {
    let uploader: Uploader
    let pipeline: Pipeline
    let location: OriginalsLocation
    let logger: Logger

    /// A processor registering with `uploader` objects at `location`, running `pipeline`.
    public init(uploader: Uploader, pipeline: Pipeline, location: OriginalsLocation, logger: Logger) {
        self.uploader = uploader
        self.pipeline = pipeline
        self.location = location
        self.logger = logger
    }

    /// What one call did.
    public struct Result: Sendable {
        /// One per delivery, in the order given.
        public var outcomes: [DeliveryOutcome]
        /// The pipeline run's counts.
        public var summary: RunSummary
        /// Set when a service every image needs stopped the run (a rejected API key, exhausted
        /// quota): what is unfinished is left for redelivery.
        public var stoppedBy: ServiceStopped?
    }

    /// Registers and processes what `deliveries` name. `options` are the run's (tasks, jobs,
    /// stop signal); ids and retry waiting are set here. Throws when the database or the
    /// originals store cannot be reached: then nothing can be said done.
    public func process(
        _ deliveries: [Delivery], options: PipelineOptions,
        report: @escaping @Sendable (TaskReport) async -> Void = { _ in }
    ) async throws -> Result {
        let intakes = try await register(deliveries)
        let ids = Array(Set(intakes.flatMap(\.imageIDs))).sorted()
        var summary = RunSummary()
        var stoppedBy: ServiceStopped?
        if !ids.isEmpty {
            var run = options
            run.ids = ids
            run.waitForRetries = false
            do {
                summary = try await pipeline.run(run, report: report)
            } catch let stopped as ServiceStopped {
                stoppedBy = stopped
            }
        }
        let records = ids.isEmpty ? [] : try await pipeline.metadata.records(after: nil, limit: ids.count, filter: .ids(ids))
        let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let outcomes = intakes.map { $0.outcome(records: byID, tasks: options.tasks) }
        for outcome in outcomes {
            for note in outcome.refused { logger.warning("object refused", metadata: ["message": "\(outcome.id)", "reason": "\(note)"]) }
            for note in outcome.ignored { logger.debug("object ignored", metadata: ["message": "\(outcome.id)", "reason": "\(note)"]) }
            if case .redeliver(let reason) = outcome.verdict {
                logger.warning("message left for redelivery", metadata: ["message": "\(outcome.id)", "reason": "\(reason)"])
            }
        }
        return Result(outcomes: outcomes, summary: summary, stoppedBy: stoppedBy)
    }

    /// Reads every delivery and registers its objects, all at once.
    private func register(_ deliveries: [Delivery]) async throws -> [DeliveryIntake] {
        try await withThrowingTaskGroup(of: (Int, DeliveryIntake).self) { group in
            for (index, delivery) in deliveries.enumerated() {
                group.addTask { (index, try await register(delivery)) }
            }
            var intakes = [DeliveryIntake?](repeating: nil, count: deliveries.count)
            for try await (index, intake) in group { intakes[index] = intake }
            return intakes.map { $0! }
        }
    }

    /// What became of one object an event names, as `upload` reports a file: registered (or
    /// found: `duplicate`), `rejected` with the reason (another bucket, outside the prefix, not
    /// an image…), or `skipped` when it is not an original (outside `uploads/`). Throws only
    /// when the originals store or the database cannot be reached. `process --event` prints these.
    public func register(_ object: CreatedObject) async throws -> UploadResult {
        let name = "s3://\(object.bucket)/\(object.key)"
        do {
            switch try location.placement(of: object) {
            case .original(let key): return try await uploader.register(key)
            case .outsideUploads: return UploadResult(file: name, status: .skipped, id: nil, reason: "not under uploads/, so not an original")
            }
        } catch let error as S3Event.EventError {
            return UploadResult(file: name, status: .rejected, id: nil, reason: "\(error)")
        }
    }

    private func register(_ delivery: Delivery) async throws -> DeliveryIntake {
        var intake = DeliveryIntake(id: delivery.id)
        let objects: [CreatedObject]
        do {
            objects = try S3Event.createdObjects(in: delivery.body)
        } catch {
            // Not an event this tool reads: it comes back until the queue's redrive policy
            // moves it to the dead-letter queue, where someone can look at it.
            intake.problem = "\(error)"
            return intake
        }
        for object in objects {
            let result = try await register(object)
            switch result.status {
            case .uploaded, .duplicate: if let id = result.id { intake.imageIDs.append(id) }
            case .skipped: intake.ignored.append("\(result.file): \(result.reason ?? "not an original")")
            case .rejected: intake.refused.append("\(result.file): \(result.reason ?? "refused")")
            }
        }
        return intake
    }
}

/// What one delivery named, once registered; its verdict is decided from the records alone.
struct DeliveryIntake: Sendable, Equatable {
    var id: String
    /// Why the delivery could not be read as an S3 event.
    var problem: String?
    var imageIDs: [Int64] = []
    var refused: [String] = []
    var ignored: [String] = []

    /// Done when every task in `tasks` of every image it named is completed or failed for good;
    /// anything pending or still leased (a retry to come, the deadline, another worker holding
    /// it) brings the delivery back.
    func outcome(records: [Int64: ImageRecord], tasks: Set<TaskKind>) -> DeliveryOutcome {
        var states: [ImageState] = []
        var unfinished: [String] = []
        for id in imageIDs {
            guard let record = records[id] else {
                unfinished.append("image \(id) has no record")
                continue
            }
            let state = ImageState(record)
            states.append(state)
            for task in tasks.sorted(by: { $0.rawValue < $1.rawValue }) where ![.completed, .failed].contains(state.status(task)) {
                let error = (task == .annotation ? record.annotationError : record.thumbnailError).map { " (\($0))" } ?? ""
                unfinished.append("image \(id): \(task.rawValue) \(state.status(task).rawValue)\(error)")
            }
        }
        let verdict: DeliveryOutcome.Verdict
        if let problem {
            verdict = .redeliver(problem)
        } else if unfinished.isEmpty {
            verdict = .done
        } else {
            verdict = .redeliver(unfinished.joined(separator: "; "))
        }
        // An unreadable message counts as refused too (the run reports it), though it comes back.
        return DeliveryOutcome(id: id, verdict: verdict, images: states, refused: (problem.map { [$0] } ?? []) + refused, ignored: ignored)
    }
}
