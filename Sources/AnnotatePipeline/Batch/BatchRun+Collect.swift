import AnnotateCore
import Foundation

/// Collecting: each job in flight is taken (one process at a time), reconciled if its
/// submission was cut off, polled, and carried out by `BatchJobStep`.
extension BatchRun {
    func collectAll(into summary: inout BatchSummary) async throws {
        summary.inFlight = 0
        for job in try await metadata.batchJobs(includingFinished: false) {
            let now = Date()
            guard try await metadata.takeBatchJob(job.displayName, owner: owner, until: now.addingTimeInterval(options.lease.seconds), at: now) else {
                summary.inFlight += 1  // another run is submitting or collecting it
                continue
            }
            do {
                if try await collect(job, into: &summary) { summary.inFlight += 1 }
            } catch {
                try? await metadata.releaseBatchJob(job.displayName, owner: owner)
                throw error
            }
            try await metadata.releaseBatchJob(job.displayName, owner: owner)
        }
    }

    /// Carries one job forward; true while it stays in flight.
    func collect(_ held: BatchJob, into summary: inout BatchSummary) async throws -> Bool {
        var job = held
        if job.phase == .submitting {
            guard let adopted = try await reconcile(&job, into: &summary) else { return false }
            job = adopted
        }
        guard let name = job.name else { return false }
        let snapshot = try await batch.poll(name)
        job.state = snapshot.state
        (job.requests, job.succeeded, job.failed) = (max(snapshot.requests, job.requests), snapshot.succeeded, snapshot.failed)
        job.updatedAt = Date()
        try await metadata.saveBatchJob(job)
        switch BatchJobStep.after(polling: snapshot, job: job, now: Date(), deadline: batchOptions.deadline) {
        case .wait:
            return true
        case .collect:
            try await recordResults(of: snapshot, job: &job, into: &summary)
        case .requeue(let reason):
            try await requeue(&job, reason: reason, event: .requeued, into: &summary)
        case .cancel(let reason):
            try await batch.cancel(name)
            try await requeue(&job, reason: reason, event: .cancelled, into: &summary)
        }
        summary.collected += 1
        return false
    }

    /// A job recorded but never named: its creation was cut off. The service's list says whether
    /// it was made (then it is adopted); if not, its tasks are released and it is forgotten.
    func reconcile(_ job: inout BatchJob, into summary: inout BatchSummary) async throws -> BatchJob? {
        if let found = try await batch.find(displayName: job.displayName) {
            job.name = found.name
            job.phase = .submitted
            job.state = found.state
            job.updatedAt = Date()
            try await metadata.saveBatchJob(job)
            logger.notice("adopted a batch job whose submission was cut off", metadata: ["job": "\(job.displayName)", "name": "\(found.name)"])
            return job
        }
        try await metadata.releaseLeases(worker: job.worker, at: Date())
        if let file = job.inputFile { await batch.deleteFile(file) }
        try await metadata.deleteBatchJob(job.displayName)
        job.note = "never submitted: the run submitting it stopped first; its tasks are pending again"
        await reportJob(BatchJobReport(job: job, event: .abandoned))
        return nil
    }

    /// Records each results line by its key; tasks the results leave out get another attempt.
    func recordResults(of snapshot: BatchJobSnapshot, job: inout BatchJob, into summary: inout BatchSummary) async throws {
        let lines = try await batch.results(of: snapshot)
        let held = try await metadata.allRecords(filter: .annotationsHeldBy(job.worker))
        let match = BatchLineDecision.match(lines, held: held)
        let now = Date()
        // A retry goes out in the next job at once: the job's own turnaround is the backoff.
        for (record, line) in match.matched {
            let result = BatchLineDecision.outcome(
                of: line, record: record, job: job, policy: .immediate, maxAttempts: options.maxAttempts, now: now)
            try await self.record(record, result, worker: job.worker, into: &summary)
        }
        let missing =
            "the results of batch job \(job.displayName) have no line for this image"
            + (match.unusable > 0 ? " (\(match.unusable) lines had no usable key)" : "")
        for record in match.unmatched {
            let result = RetryPolicy.immediate.outcome(
                ofFailure: missing, transient: true, attempts: record.annotationAttempts, maxAttempts: options.maxAttempts, now: now)
            try await self.record(record, result, worker: job.worker, into: &summary)
        }
        job.phase = .finished
        job.note = "collected: \(match.matched.count) results recorded, \(match.unmatched.count) missing, \(match.unusable) unusable lines"
        job.updatedAt = Date()
        try await metadata.saveBatchJob(job)
        if let file = job.inputFile { await batch.deleteFile(file) }
        await reportJob(BatchJobReport(job: job, event: .collected))
    }

    /// Gives every task the job holds another attempt at once (or fails those out of attempts),
    /// with the reason: a job's failure is not its images', and batches are slow enough already.
    func requeue(_ job: inout BatchJob, reason: String, event: BatchJobReport.Event, into summary: inout BatchSummary) async throws {
        let now = Date()
        for record in try await metadata.allRecords(filter: .annotationsHeldBy(job.worker)) {
            let result = RetryPolicy.immediate.outcome(
                ofFailure: reason, transient: true, attempts: record.annotationAttempts, maxAttempts: options.maxAttempts, now: now)
            try await self.record(record, result, worker: job.worker, into: &summary)
        }
        job.phase = .finished
        job.note = reason
        job.updatedAt = Date()
        try await metadata.saveBatchJob(job)
        if let file = job.inputFile { await batch.deleteFile(file) }
        await reportJob(BatchJobReport(job: job, event: event))
    }
}
