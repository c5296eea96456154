import AnnotateCore
import Foundation

/// Submitting: the selected annotation tasks, a job at a time. The job is recorded before
/// anything is sent and its tasks leased to it, so no other run takes them; the request file is
/// written to disk (never held whole), uploaded, then the job created. A run cut off at any
/// step leaves the job `submitting`, for the next run to adopt or release.
extension BatchRun {
    /// `--stale`, `--retry-failed` and `--reprocess` put their tasks back to pending, once per run.
    func resetSelection() async throws {
        let annotator = pipeline.annotator
        let stale = options.stale ? AnnotationProvenance(model: annotator.model, promptHash: annotator.promptHash) : nil
        let resetFrom: Set<TaskStatus> = options.reprocess ? [.failed, .completed] : (options.retryFailed ? [.failed] : [])
        if !resetFrom.isEmpty || stale != nil {
            _ = try await metadata.reset(
                ResetRequest(tasks: [.annotation], from: resetFrom, ids: options.ids, limit: options.limit, staleAgainst: stale), at: Date())
        }
    }

    /// Submits jobs until nothing pending is left in scope (or `--limit` requests went out in this run).
    func submitAll(into summary: inout BatchSummary) async throws {
        var remaining = (options.limit ?? .max) - summary.requests
        while remaining > 0 && !(options.stop?.isRequested ?? false) {
            let size = min(batchOptions.jobSize, batch.maxRequestsPerJob, remaining)
            guard let submitted = try await submitOne(upTo: size, into: &summary) else { break }
            remaining -= submitted
        }
    }

    /// Submits one job of up to `size` tasks; nil when nothing was left to submit.
    func submitOne(upTo size: Int, into summary: inout BatchSummary) async throws -> Int? {
        let now = Date()
        var job = BatchJob(
            displayName: BatchJob.newDisplayName(at: now), model: pipeline.annotator.model, promptHash: pipeline.annotator.promptHash,
            createdAt: now, updatedAt: now)
        try await metadata.saveBatchJob(job)
        guard try await metadata.takeBatchJob(job.displayName, owner: owner, until: now.addingTimeInterval(options.lease.seconds), at: now)
        else { return nil }
        let claimed = try await metadata.claim(
            ClaimRequest(
                worker: job.worker, tasks: [.annotation], ids: options.ids, limit: size, lease: batchOptions.taskLease,
                maxAttempts: options.maxAttempts), at: now)
        guard !claimed.isEmpty else {
            try await metadata.deleteBatchJob(job.displayName)
            return nil
        }
        return try await holding(job.displayName) { try await send(&job, claimed: claimed, into: &summary) }
    }

    /// Runs `body` while a child task renews this run's hold on the job every third of `--lease`.
    func holding<T: Sendable>(_ displayName: String, _ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [metadata, owner, lease = options.lease] in
                while !Task.isCancelled {
                    try await Task.sleep(for: lease / 3)
                    _ = try? await metadata.takeBatchJob(displayName, owner: owner, until: Date().addingTimeInterval(lease.seconds), at: Date())
                }
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// Writes, uploads and creates the job of the `claimed` tasks; returns how many were taken.
    func send(_ job: inout BatchJob, claimed: [ClaimedImage], into summary: inout BatchSummary) async throws -> Int {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(job.displayName).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let written = try await writeRequests(of: claimed, job: job, to: file, into: &summary)
        guard written.lines > 0 else {
            try await metadata.deleteBatchJob(job.displayName)
            return claimed.count
        }
        job.requests = written.lines
        job.updatedAt = Date()
        try await metadata.saveBatchJob(job)
        do {
            job.inputFile = try await batch.upload(file: file, bytes: written.bytes, displayName: job.displayName)
        } catch {
            try await abandon(job)
            throw error
        }
        try await metadata.saveBatchJob(job)
        guard try await metadata.takeBatchJob(job.displayName, owner: owner, until: Date().addingTimeInterval(options.lease.seconds), at: Date())
        else {
            throw BatchServiceError.unavailable("lost the hold on batch job \(job.displayName) before creating it; another run has it now")
        }
        let snapshot: BatchJobSnapshot
        do {
            snapshot = try await batch.create(inputFile: job.inputFile!, displayName: job.displayName)
        } catch let error as BatchServiceError {
            switch error {
            case .busy, .refused, .unsupported:
                // The service answered that it made no job.
                try await abandon(job)
            case .unavailable:
                // It may have made one: the job stays `submitting`, and the next run adopts it if
                // the service has it, or releases its tasks if not.
                try await metadata.releaseBatchJob(job.displayName, owner: owner)
            }
            throw error
        }
        job.name = snapshot.name
        job.phase = .submitted
        job.state = snapshot.state
        job.updatedAt = Date()
        try await metadata.saveBatchJob(job)
        try await metadata.releaseBatchJob(job.displayName, owner: owner)
        summary.submitted += 1
        summary.requests += written.lines
        summary.inFlight += 1
        await reportJob(BatchJobReport(job: job, event: .submitted))
        return claimed.count
    }

    /// A job that certainly never reached the service: its tasks go back, its file and row go.
    func abandon(_ job: BatchJob) async throws {
        try await metadata.releaseLeases(worker: job.worker, at: Date())
        if let file = job.inputFile { await batch.deleteFile(file) }
        try await metadata.deleteBatchJob(job.displayName)
    }

    /// Fetches each original and renders its preview (as many at once as `--jobs`), writing one
    /// request line each, in claim order. An image that cannot be read or decoded is recorded
    /// as it would be by a synchronous run; one that would overflow the file is released.
    func writeRequests(
        of claimed: [ClaimedImage], job: BatchJob, to file: URL, into summary: inout BatchSummary
    ) async throws -> (lines: Int, bytes: Int) {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var (lines, bytes) = (0, 0)
        let window = max(options.jobs, 1) * 2
        var start = 0
        while start < claimed.count {
            let slice = Array(claimed[start..<min(start + window, claimed.count)])
            start += slice.count
            let built = try await withThrowingTaskGroup(of: (Int, Result<Data, InputFailure>).self) { group in
                for (index, image) in slice.enumerated() { group.addTask { (index, await requestLine(for: image.record)) } }
                var built: [(Int, Result<Data, InputFailure>)] = []
                for try await item in group { built.append(item) }
                return built.sorted { $0.0 < $1.0 }.map(\.1)
            }
            for (image, line) in zip(slice, built) {
                switch line {
                case .success(let data):
                    guard bytes + data.count + 1 <= batch.maxFileBytes else {
                        _ = try await metadata.record(
                            TaskOutcome(id: image.record.id, task: .annotation, worker: job.worker, result: .released), at: Date())
                        continue
                    }
                    try handle.write(contentsOf: data + Data([0x0A]))
                    (lines, bytes) = (lines + 1, bytes + data.count + 1)
                case .failure(let failure):
                    let result = options.retryPolicy.outcome(
                        ofFailure: failure.reason, transient: failure.transient, attempts: image.record.annotationAttempts,
                        maxAttempts: options.maxAttempts, now: Date())
                    try await record(image.record, result, worker: job.worker, into: &summary)
                }
            }
        }
        return (lines, bytes)
    }

    /// The request line for one image: the synchronous request around its original and preview.
    func requestLine(for record: ImageRecord) async -> Result<Data, InputFailure> {
        switch await pipeline.annotationInput(for: record) {
        case .failure(let failure):
            return .failure(failure)
        case .success(let input):
            do {
                return .success(try batch.requestLine(key: BatchJob.key(for: record.id), for: input))
            } catch {
                return .failure(InputFailure(reason: "cannot write the request: \(error)", transient: false))
            }
        }
    }
}
