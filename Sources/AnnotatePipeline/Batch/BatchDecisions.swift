import AnnotateCore
import Foundation

/// What to do with a job after polling it: a pure decision the collector carries out.
public enum BatchJobStep: Equatable, Sendable {
    /// Still running and within its deadline: look again next time.
    case wait
    /// Finished with results: record them by key.
    case collect
    /// Finished without results (failed, expired, cancelled): its tasks go back to pending.
    case requeue(reason: String)
    /// Past `--batch-deadline`: cancel it, then its tasks go back to pending.
    case cancel(reason: String)

    /// The step for `job` as the service reports it in `snapshot`.
    public static func after(polling snapshot: BatchJobSnapshot, job: BatchJob, now: Date, deadline: Duration) -> BatchJobStep {
        let name = "batch job \(job.displayName) (\(snapshot.name))"
        if snapshot.hasResults { return .collect }
        switch snapshot.state {
        case .pending, .running, .succeeded:
            // Succeeded without its output yet is written soon after: keep polling, within the deadline.
            guard now.timeIntervalSince(job.createdAt) > deadline.seconds else { return .wait }
            return .cancel(reason: "\(name) did not finish within --batch-deadline \(Quantity.format(deadline)); it was cancelled")
        case .failed:
            return .requeue(reason: "\(name) failed\(snapshot.error.map { ": \($0)" } ?? "")")
        case .expired:
            return .requeue(reason: "\(name) expired unfinished (the service gives up after 48 h) and returned nothing")
        case .cancelled:
            return .requeue(reason: "\(name) was cancelled before it answered")
        }
    }
}

/// What one results line means for the task its key names: a pure decision.
public enum BatchLineDecision {
    /// The outcome to record for `record` from `line` (same checks, classes and attempts as the
    /// synchronous path: a refused answer fails at once, a line error is tried again). The
    /// annotation's provenance is the job's: the model and prompt it was submitted with.
    public static func outcome(
        of line: BatchLineResult, record: ImageRecord, job: BatchJob, policy: RetryPolicy, maxAttempts: Int, now: Date
    ) -> TaskOutcome.Result {
        switch line.outcome {
        case .success(var annotation):
            (annotation.model, annotation.promptHash, annotation.serviceTier) = (job.model, job.promptHash, .batch)
            return .annotated(annotation)
        case .failure(let error):
            let transient: Bool
            var hint: Duration?
            switch error.disposition {
            case .permanent: transient = false
            case .transient(let retryAfter): (transient, hint) = (true, retryAfter)
            case .stopRun: transient = true
            }
            return policy.outcome(
                ofFailure: error.reason, transient: transient, serverHint: hint, attempts: record.annotationAttempts,
                maxAttempts: maxAttempts, now: now)
        }
    }

    /// Matches result lines to the tasks a job holds, by key only: a line without a key, with a
    /// key this job did not send, or repeating a key already matched is counted, never guessed at.
    public static func match(
        _ lines: [BatchLineResult], held: [ImageRecord]
    ) -> (matched: [(ImageRecord, BatchLineResult)], unmatched: [ImageRecord], unusable: Int) {
        let byID = Dictionary(held.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var seen = Set<Int64>()
        var matched: [(ImageRecord, BatchLineResult)] = []
        var unusable = 0
        for line in lines {
            guard let key = line.key, let id = BatchJob.id(fromKey: key), let record = byID[id], seen.insert(id).inserted else {
                unusable += 1
                continue
            }
            matched.append((record, line))
        }
        return (matched, held.filter { !seen.contains($0.id) }, unusable)
    }
}
