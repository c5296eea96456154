import AnnotateCore
import AnnotatePipeline
import Foundation

/// What one invocation means: its deliveries go through the `EventProcessor` with a stop set
/// by the `DeadlinePlan`, and the outcomes become the answer — for an SQS batch the messages to
/// redeliver (`batchItemFailures`: transient failures, unreadable messages, work the deadline
/// cut off; never one whose image failed for good), for a direct event a summary of a few KB,
/// or an invocation error when something is left to do, so Lambda's own retries apply.
public struct LambdaHandler: Sendable {
    /// The answer to post.
    public enum Reply: Sendable, Equatable {
        /// `POST …/response` with this JSON.
        case response(Data)
        /// `POST …/error`.
        case error(LambdaErrorReport)
    }

    let processor: EventProcessor
    let options: PipelineOptions

    /// A handler running `processor` with `options` (tasks, jobs, lease); each invocation gets
    /// its own worker name and stop. (The processor logs what each message came to.)
    public init(processor: EventProcessor, options: PipelineOptions) {
        self.processor = processor
        self.options = options
    }

    /// Handles `invocation`; never throws (every failure is an answer).
    public func handle(_ invocation: LambdaInvocation) async -> (reply: Reply, line: String) {
        let event = LambdaEvent(body: invocation.body, requestID: invocation.requestID)
        let plan = DeadlinePlan(remaining: .milliseconds(Int64(invocation.deadline.timeIntervalSinceNow * 1000)))
        var options = options
        let stop = StopSignal()
        options.stop = stop
        options.grace = plan.grace
        options.worker = "\(options.worker)/\(invocation.requestID)"
        let run = options
        let started = ContinuousClock.now
        let result: Swift.Result<EventProcessor.Result, Error> = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // The deadline's stop: no new work after it; what runs gets the grace, then is released.
                guard (try? await Task.sleep(for: plan.stopAfter)) != nil else { return }
                stop.request()
            }
            defer { group.cancelAll() }
            return await Swift.Result { try await processor.process(event.deliveries, options: run) }
        }
        let took = ContinuousClock.now - started
        let reply = Self.reply(to: event, result: result)
        return (reply, Self.line(invocation, event, result, reply, took, deadlineHit: stop.isRequested))
    }

    /// The answer for `event` given what processing it came to.
    static func reply(to event: LambdaEvent, result: Swift.Result<EventProcessor.Result, Error>) -> Reply {
        switch (event, result) {
        case (.sqsBatch(let deliveries), .failure):
            // Nothing could be recorded (the database or the store is gone): every message comes back.
            return .response(BatchResponse(failures: deliveries.map(\.id)).json)
        case (.sqsBatch, .success(let processed)):
            return .response(BatchResponse(failures: processed.outcomes.filter { !$0.isDone }.map(\.id)).json)
        case (.direct, .failure(let error)):
            let status = (error as? any ExitStatusProviding)?.exitStatus
            let type = status == .unavailable ? "Annotate.Unavailable" : status == .configuration ? "Annotate.ConfigInvalid" : "Annotate.Failed"
            return .error(LambdaErrorReport(errorType: type, errorMessage: "\(error)"))
        case (.direct, .success(let processed)):
            guard let outcome = processed.outcomes.first else { return .response(DirectSummary(nil).json) }
            if case .redeliver(let reason) = outcome.verdict {
                return .error(LambdaErrorReport(errorType: "Annotate.Unfinished", errorMessage: reason))
            }
            return .response(DirectSummary(outcome).json)
        }
    }

    /// The one log line per invocation: request id, messages, images, outcome, time.
    static func line(
        _ invocation: LambdaInvocation, _ event: LambdaEvent, _ result: Swift.Result<EventProcessor.Result, Error>, _ reply: Reply,
        _ took: Duration, deadlineHit: Bool
    ) -> String {
        let milliseconds = Int(took.seconds * 1000)
        var parts = ["request \(invocation.requestID)"]
        if case .sqsBatch(let deliveries) = event { parts.append("\(deliveries.count) messages") }
        switch result {
        case .success(let processed):
            let images = Set(processed.outcomes.flatMap { $0.images.map(\.id) }).count
            let undone = processed.outcomes.filter { !$0.isDone }.count
            parts.append("\(images) images")
            parts.append("\(processed.summary.completedCount) tasks completed, \(processed.summary.failedCount) failed")
            if undone > 0 { parts.append("\(undone) to redeliver") }
        case .failure(let error):
            parts.append("failed: \(error)")
        }
        if case .error(let report) = reply { parts.append("answered \(report.errorType)") }
        if deadlineHit { parts.append("stopped by the deadline") }
        parts.append("\(milliseconds) ms")
        return "annotate: lambda " + parts.joined(separator: ", ")
    }
}

/// `{"batchItemFailures": [{"itemIdentifier": MESSAGE_ID}…]}`: the SQS trigger redelivers
/// only these (the mapping must have `ReportBatchItemFailures`).
struct BatchResponse: Encodable {
    struct Item: Encodable { let itemIdentifier: String }
    let batchItemFailures: [Item]
    init(failures: [String]) { batchItemFailures = failures.map(Item.init) }
    var json: Data { (try? JSONEncoder().encode(self)) ?? Data(#"{"batchItemFailures":[]}"#.utf8) }
}

/// A direct event's answer, bounded: at most 50 images and 10 refusals (the records hold the rest).
struct DirectSummary: Encodable {
    struct Image: Encodable {
        let id: Int64
        let key: String
        let annotation: String
        let thumbnail: String
    }
    let images: [Image]
    let refused: [String]
    let ignored: Int

    init(_ outcome: DeliveryOutcome?) {
        images = (outcome?.images ?? []).prefix(50).map {
            Image(id: $0.id, key: $0.key, annotation: $0.annotation.rawValue, thumbnail: $0.thumbnail.rawValue)
        }
        refused = (outcome?.refused ?? []).prefix(10).map { $0.count > 300 ? String($0.prefix(297)) + "..." : $0 }
        ignored = outcome?.ignored.count ?? 0
    }

    var json: Data { (try? JSONEncoder().encode(self)) ?? Data("{}".utf8) }
}
