import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotateMetadata

/// What every `MetadataStore` must do. Each backend's suite runs every check on a fresh store;
/// times are passed explicitly, so lease expiry is tested without sleeping.
enum MetadataStoreConformance {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func image(_ n: Int) -> NewImage {
        NewImage(
            filename: "photo-\(n).jpg", sha256: String(format: "%064x", n), contentType: "image/jpeg",
            size: 1000 + Int64(n), width: 640, height: 480, originalKey: "uploads/\(n)-photo.jpg")
    }

    static func request(
        _ worker: String, limit: Int = 100, tasks: Set<TaskKind> = [.annotation, .thumbnail],
        ids: [Int64]? = nil, lease: Duration = .seconds(60), maxAttempts: Int = 3
    ) -> ClaimRequest {
        ClaimRequest(worker: worker, tasks: tasks, ids: ids, limit: limit, lease: lease, maxAttempts: maxAttempts)
    }

    @discardableResult
    static func insert(_ store: any MetadataStore, count: Int) async throws -> [Int64] {
        var ids: [Int64] = []
        for n in 1...count {
            guard case .inserted(let id) = try await store.insert(image(n), at: t0) else {
                Issue.record("not inserted")
                continue
            }
            ids.append(id)
        }
        return ids
    }

    static func insertsAndDeduplicatesByHash(_ store: any MetadataStore) async throws {
        guard case .inserted(let id) = try await store.insert(image(1), at: t0) else {
            Issue.record("expected insert")
            return
        }
        var again = image(1)
        again.filename = "other-name.jpg"
        #expect(try await store.insert(again, at: t0) == .duplicate(id: id))
        let record = try #require(try await store.record(id: id))
        #expect(record.filename == "photo-1.jpg")
        #expect(record.sha256 == String(format: "%064x", 1))
        #expect(record.size == 1001 && record.width == 640 && record.height == 480)
        #expect(record.annotationStatus == .pending && record.thumbnailStatus == .pending)
        #expect(record.tags == [])
        #expect(record.uploadedAt == t0)
        #expect(try await store.record(sha256: String(format: "%064x", 1))?.id == id)
        #expect(try await store.record(id: 9999) == nil)
        try await summaryMatchesTheRecords(store)
    }

    /// `writer` and `reader` are two stores on one database (two processes): the reader's
    /// version moves with every write either makes, and only then.
    static func changeVersionMovesWithEveryWriteFromAnyProcess(writer: any MetadataStore, reader: any MetadataStore) async throws {
        var seen: [Int64] = []
        func expectChanged(_ what: String) async throws {
            let version = try #require(try await reader.changeVersion())
            #expect(!seen.contains(version), "the version moved after \(what)")
            #expect(try await reader.changeVersion() == version, "and stays while nothing is written")
            // Read at once only where that costs no wait (a local SQLite file), and then the same.
            #expect(reader.immediateChangeVersion() == (reader is SQLiteMetadataStore ? version : nil))
            seen.append(version)
        }
        try await expectChanged("nothing")
        _ = try await reader.record(id: 1)
        _ = try await reader.summary()
        #expect(try await reader.changeVersion() == seen.last, "reads change nothing")
        guard case .inserted(let id) = try await writer.insert(image(1), at: t0) else {
            Issue.record("expected insert")
            return
        }
        try await expectChanged("an insert by another connection")
        _ = try await writer.claim(request("w"), at: t0)
        try await expectChanged("a claim")
        #expect(try await writer.record(TaskOutcome(id: id, task: .thumbnail, worker: "w", result: .thumbnailed(key: "thumbnails/k.jpg")), at: t0))
        try await expectChanged("an outcome")
        _ = try await reader.insert(image(2), at: t0)
        try await expectChanged("an insert by the reader itself")
        try await writer.releaseLeases(worker: "w", at: t0)
        try await expectChanged("a release")
    }

    static func concurrentClaimsNeverShareATask(_ store: any MetadataStore) async throws {
        try await insert(store, count: 40)
        let claims = try await withThrowingTaskGroup(of: [ClaimedImage].self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var mine: [ClaimedImage] = []
                    while true {
                        let batch = try await store.claim(request("w\(worker)", limit: 3), at: t0)
                        if batch.isEmpty { return mine }
                        mine += batch
                    }
                }
            }
            return try await group.reduce(into: [ClaimedImage]()) { $0 += $1 }
        }
        let pairs = claims.flatMap { image in image.tasks.map { "\(image.record.id)-\($0)" } }
        #expect(pairs.count == 80)
        #expect(Set(pairs).count == 80)
        // Each claimed task was attempted once. An image's two tasks may go to different workers:
        // a row another claim has locked (a candidate it then left out) is skipped, not waited for.
        #expect(claims.allSatisfy { claim in claim.tasks.allSatisfy { claim.record.attempts(of: $0) == 1 } })
        try await summaryMatchesTheRecords(store)
    }

    static func outcomesNeverTouchTheOtherTask(_ store: any MetadataStore) async throws {
        let id = try await insert(store, count: 1)[0]
        _ = try await store.claim(request("w"), at: t0)
        let annotation = Annotation(
            caption: "A \"quoted\", comma, caption\nwith a newline", tags: ["a", "b"], model: "m-1", promptHash: "ph", tokens: 42)
        #expect(try await store.record(TaskOutcome(id: id, task: .annotation, worker: "w", result: .annotated(annotation)), at: t0))
        var record = try #require(try await store.record(id: id))
        #expect(record.annotationStatus == .completed && record.thumbnailStatus == .processing)
        #expect(record.annotation == annotation.caption && record.tags == ["a", "b"] && record.model == "m-1")
        #expect(record.promptHash == "ph" && record.tokens == 42)
        #expect(try await store.record(TaskOutcome(id: id, task: .thumbnail, worker: "w", result: .failed("cannot decode")), at: t0))
        record = try #require(try await store.record(id: id))
        #expect(record.annotationStatus == .completed && record.annotation == annotation.caption)
        #expect(record.thumbnailStatus == .failed && record.thumbnailError == "cannot decode")
        #expect(record.annotationError == nil)
        try await summaryMatchesTheRecords(store)
    }

    static func expiredLeasesPassToAnotherWorker(_ store: any MetadataStore) async throws {
        let id = try await insert(store, count: 1)[0]
        let first = try await store.claim(request("dead", lease: .seconds(30)), at: t0)
        #expect(first.count == 1)
        #expect(try await store.claim(request("live"), at: t0.addingTimeInterval(29)).isEmpty)
        let taken = try await store.claim(request("live"), at: t0.addingTimeInterval(31))
        #expect(taken.first?.tasks == [.annotation, .thumbnail])
        #expect(taken.first?.record.annotationAttempts == 2)
        // The vanished worker's late result is not recorded over the new owner's lease.
        #expect(
            try await store.record(
                TaskOutcome(id: id, task: .thumbnail, worker: "dead", result: .thumbnailed(key: "k")), at: t0.addingTimeInterval(32)) == false)
        #expect(
            try await store.record(
                TaskOutcome(id: id, task: .thumbnail, worker: "live", result: .thumbnailed(key: "k2")), at: t0.addingTimeInterval(32)))
        #expect(try await store.record(id: id)?.thumbnailKey == "k2")
        try await summaryMatchesTheRecords(store)
    }

    static func renewedLeasesStayWithTheirWorker(_ store: any MetadataStore) async throws {
        try await insert(store, count: 1)
        _ = try await store.claim(request("w", lease: .seconds(30)), at: t0)
        try await store.renewLeases(worker: "w", until: t0.addingTimeInterval(90), at: t0.addingTimeInterval(20))
        #expect(try await store.claim(request("other"), at: t0.addingTimeInterval(60)).isEmpty)
        #expect(try await store.claim(request("other"), at: t0.addingTimeInterval(91)).count == 1)
        try await summaryMatchesTheRecords(store)
    }

    static func retriesWaitThenGiveUp(_ store: any MetadataStore) async throws {
        let id = try await insert(store, count: 1)[0]
        var retryAt = t0
        for attempt in 1...2 {
            let now = retryAt.addingTimeInterval(1)
            let claimed = try await store.claim(request("w", tasks: [.annotation], maxAttempts: 2), at: now)
            #expect(claimed.first?.record.annotationAttempts == attempt)
            retryAt = now.addingTimeInterval(10)
            #expect(
                try await store.record(
                    TaskOutcome(
                        id: id, task: .annotation, worker: "w",
                        result: .retry("HTTP 503", notBefore: retryAt)), at: now))
            let record = try #require(try await store.record(id: id))
            #expect(record.annotationStatus == .pending && record.annotationError == "HTTP 503")
            #expect(try await store.nextRetry(tasks: [.annotation], ids: nil) == retryAt)
            // Not before its time.
            #expect(try await store.claim(request("w", tasks: [.annotation], maxAttempts: 2), at: now.addingTimeInterval(5)).isEmpty)
        }
        // Out of attempts: the next claim fails it with the last reason instead of running it again.
        #expect(try await store.claim(request("w", tasks: [.annotation], maxAttempts: 2), at: retryAt.addingTimeInterval(1)).isEmpty)
        let record = try #require(try await store.record(id: id))
        #expect(record.annotationStatus == .failed)
        #expect(record.annotationError == "gave up after 2 attempts: HTTP 503")
        #expect(record.annotationErrorClass == .transient)
        #expect(try await store.nextRetry(tasks: [.annotation], ids: nil) == nil)
        try await summaryMatchesTheRecords(store)
    }

    /// A worker claims while its earlier claims are in flight: an image's thumbnail that waited
    /// for its retry comes due while the same worker still holds the annotation. The claim hands
    /// out the thumbnail alone; the annotation must not run a second time.
    static func claimsHandOutOnlyWhatTheyLeased(_ store: any MetadataStore) async throws {
        let id = try await insert(store, count: 1)[0]
        let first = try await store.claim(request("w"), at: t0)
        #expect(first.first?.tasks == [.annotation, .thumbnail])
        #expect(
            try await store.record(
                TaskOutcome(
                    id: id, task: .thumbnail, worker: "w",
                    result: .retry("HTTP 503", notBefore: t0.addingTimeInterval(5))), at: t0))
        let second = try await store.claim(request("w"), at: t0.addingTimeInterval(6))
        #expect(second.map(\.record.id) == [id] && second.first?.tasks == [.thumbnail])
        #expect(try await store.claim(request("w"), at: t0.addingTimeInterval(7)).isEmpty)
        // Both leases are still this worker's, each recorded once.
        for task in TaskKind.allCases {
            let result: TaskOutcome.Result =
                task == .annotation
                ? .annotated(Annotation(caption: "Once.", tags: [], model: "m", tokens: 1)) : .thumbnailed(key: "thumbnails/x.jpg")
            #expect(try await store.record(TaskOutcome(id: id, task: task, worker: "w", result: result), at: t0.addingTimeInterval(8)))
        }
        try await summaryMatchesTheRecords(store)
    }

    static func tasksOutOfAttemptsAreFailedNotClaimed(_ store: any MetadataStore) async throws {
        let id = try await insert(store, count: 1)[0]
        for round in 0..<2 {
            _ = try await store.claim(
                request("crashing-\(round)", lease: .seconds(10), maxAttempts: 2), at: t0.addingTimeInterval(Double(round) * 20))
        }
        let claimed = try await store.claim(request("next", maxAttempts: 2), at: t0.addingTimeInterval(100))
        #expect(claimed.isEmpty)
        let record = try #require(try await store.record(id: id))
        #expect(record.annotationStatus == .failed && record.thumbnailStatus == .failed)
        #expect(record.annotationError == "gave up after 2 attempts: the worker stopped while processing it")
        #expect(record.annotationErrorClass == .limit && record.thumbnailErrorClass == .limit)
        try await summaryMatchesTheRecords(store)
    }

    static func resetGivesFinishedTasksAFreshStart(_ store: any MetadataStore) async throws {
        let ids = try await insert(store, count: 3)
        _ = try await store.claim(request("w"), at: t0)
        for id in ids {
            _ = try await store.record(TaskOutcome(id: id, task: .annotation, worker: "w", result: .failed("bad")), at: t0)
            _ = try await store.record(TaskOutcome(id: id, task: .thumbnail, worker: "w", result: .thumbnailed(key: "k\(id)")), at: t0)
        }
        #expect(try await store.reset(ResetRequest(tasks: [.annotation], from: [.failed], ids: nil, limit: 2), at: t0) == 2)
        var records = try await store.records(after: nil, limit: 10, filter: .all)
        #expect(records.map(\.annotationStatus) == [.pending, .pending, .failed])
        #expect(records[0].annotationAttempts == 0 && records[0].annotationError == nil && records[0].annotationErrorClass == nil)
        #expect(records[2].annotationErrorClass == .permanent)
        #expect(records.allSatisfy { $0.thumbnailStatus == .completed })
        #expect(try await store.reset(ResetRequest(tasks: [.thumbnail], from: [.completed, .failed], ids: [ids[2]], limit: nil), at: t0) == 1)
        records = try await store.records(after: nil, limit: 10, filter: .all)
        #expect(records.map(\.thumbnailStatus) == [.completed, .completed, .pending])
        try await summaryMatchesTheRecords(store)
    }

    /// Each recorded annotation keeps its input/output split and tier, and adds its tokens to the
    /// ledger of its model and tier; one replaced later stays counted (it was paid for), and
    /// thumbnails and a local annotator's annotations add nothing.
    static func usageLedgerCountsEveryRecordedAnnotation(_ store: any MetadataStore) async throws {
        let ids = try await insert(store, count: 3)
        #expect(try await store.usage() == [])
        _ = try await store.claim(request("w"), at: t0)
        func annotated(_ model: String, _ input: Int?, _ output: Int?, _ tier: ServiceTier?) -> TaskOutcome.Result {
            .annotated(
                Annotation(
                    caption: "c", tags: [], model: model, tokens: input.map { $0 + (output ?? 0) }, inputTokens: input, outputTokens: output,
                    serviceTier: tier))
        }
        _ = try await store.record(TaskOutcome(id: ids[0], task: .annotation, worker: "w", result: annotated("m", 280, 20, .standard)), at: t0)
        _ = try await store.record(TaskOutcome(id: ids[1], task: .annotation, worker: "w", result: annotated("m", 270, 30, .flex)), at: t0)
        _ = try await store.record(TaskOutcome(id: ids[2], task: .annotation, worker: "w", result: annotated("metadata-v1", nil, nil, nil)), at: t0)
        for id in ids {
            _ = try await store.record(TaskOutcome(id: id, task: .thumbnail, worker: "w", result: .thumbnailed(key: "k\(id)")), at: t0)
        }
        let first = try #require(try await store.record(id: ids[0]))
        #expect(first.tokens == 300 && first.inputTokens == 280 && first.outputTokens == 20 && first.serviceTier == .standard)
        #expect(try await store.record(id: ids[2])?.serviceTier == nil)
        #expect(
            try await store.usage() == [
                UsageTotal(model: "m", tier: .flex, annotations: 1, inputTokens: 270, outputTokens: 30, tokens: 300),
                UsageTotal(model: "m", tier: .standard, annotations: 1, inputTokens: 280, outputTokens: 20, tokens: 300),
            ])
        // Re-annotated by another model: the record shows the new annotation, the ledger both.
        #expect(try await store.reset(ResetRequest(tasks: [.annotation], from: [.completed], ids: [ids[0]], limit: nil), at: t0) == 1)
        _ = try await store.claim(request("w2", tasks: [.annotation]), at: t0)
        _ = try await store.record(TaskOutcome(id: ids[0], task: .annotation, worker: "w2", result: annotated("n", 60, 40, .batch)), at: t0)
        #expect(try await store.record(id: ids[0])?.serviceTier == .batch)
        #expect(
            try await store.usage() == [
                UsageTotal(model: "m", tier: .flex, annotations: 1, inputTokens: 270, outputTokens: 30, tokens: 300),
                UsageTotal(model: "m", tier: .standard, annotations: 1, inputTokens: 280, outputTokens: 20, tokens: 300),
                UsageTotal(model: "n", tier: .batch, annotations: 1, inputTokens: 60, outputTokens: 40, tokens: 100),
            ])
    }

    static func releasedLeasesAreClaimableAtOnce(_ store: any MetadataStore) async throws {
        try await insert(store, count: 2)
        _ = try await store.claim(request("stopping", lease: .seconds(600)), at: t0)
        try await store.releaseLeases(worker: "stopping", at: t0)
        let records = try await store.records(after: nil, limit: 10, filter: .all)
        #expect(records.allSatisfy { $0.annotationStatus == .pending && $0.thumbnailStatus == .pending })
        #expect(records.allSatisfy { $0.annotationAttempts == 0 })
        #expect(try await store.claim(request("next"), at: t0).count == 2)
        try await summaryMatchesTheRecords(store)
    }

    static func listsSummariesAndFilters(_ store: any MetadataStore) async throws {
        let ids = try await insert(store, count: 5)
        _ = try await store.claim(request("w", ids: [ids[0], ids[1], ids[2]]), at: t0)
        for id in ids[0...1] {
            _ = try await store.record(
                TaskOutcome(id: id, task: .annotation, worker: "w", result: .annotated(Annotation(caption: "c", tags: [], model: "m", tokens: 10))),
                at: t0)
            _ = try await store.record(TaskOutcome(id: id, task: .thumbnail, worker: "w", result: .thumbnailed(key: "t")), at: t0)
        }
        _ = try await store.record(TaskOutcome(id: ids[2], task: .thumbnail, worker: "w", result: .failed("broken")), at: t0.addingTimeInterval(5))
        let summary = try await store.summary()
        #expect(summary.total == 5)
        #expect(summary.annotation == [.completed: 2, .processing: 1, .pending: 2])
        #expect(summary.thumbnail == [.completed: 2, .failed: 1, .pending: 2])
        #expect(summary.tokens == 20)
        #expect(summary.unfinished == 5 && summary.failed == 1)
        #expect(try await store.records(after: nil, limit: 10, filter: .completed).map(\.id) == [ids[0], ids[1]])
        #expect(try await store.records(after: nil, limit: 10, filter: .failed).map(\.id) == [ids[2]])
        #expect(try await store.records(after: nil, limit: 10, filter: .unfinished).map(\.id) == [ids[2], ids[3], ids[4]])
        #expect(try await store.records(after: ids[1], limit: 2, filter: .all).map(\.id) == [ids[2], ids[3]])
        #expect(try await store.records(after: nil, limit: 10, filter: .ids([ids[4], ids[0], 999])).map(\.id) == [ids[0], ids[4]])
        #expect(try await store.recordsNewestFirst(before: nil, limit: 2, filter: .all).map(\.id) == [ids[4], ids[3]])
        #expect(try await store.recordsNewestFirst(before: ids[3], limit: 10, filter: .all).map(\.id) == [ids[2], ids[1], ids[0]])
        #expect(try await store.recordsNewestFirst(before: nil, limit: 10, filter: .unfinished).map(\.id) == [ids[4], ids[3], ids[2]])
        #expect(try await store.recordsNewestFirst(before: ids[2], limit: 10, filter: .completed).map(\.id) == [ids[1], ids[0]])
        #expect(try await store.latestFailures(limit: 5).map(\.id) == [ids[2]])
        try await store.ping()
        try await summaryMatchesTheRecords(store)
    }

    static func textRoundTripsExactly(_ store: any MetadataStore) async throws {
        // Four-byte UTF-8, quotes, a long caption (past any fixed read buffer) and keys that
        // differ only in case (object keys are case-sensitive) all come back byte for byte.
        var upper = image(1)
        upper.filename = "Straße 🌄 \"quoted\" 'single'.JPG"
        upper.originalKey = "uploads/0001-Photo.jpg"
        var lower = image(2)
        lower.originalKey = "uploads/0001-photo.jpg"
        guard case .inserted(let first) = try await store.insert(upper, at: t0),
            case .inserted(let second) = try await store.insert(lower, at: t0)
        else {
            Issue.record("keys differing in case must both be accepted")
            return
        }
        let caption = String(repeating: "A long caption with ümlauts and 😀 emoji. ", count: 40)
        let tags = ["café", "tag with \"quotes\"", "日本", ""]
        _ = try await store.claim(request("w", ids: [first]), at: t0)
        #expect(
            try await store.record(
                TaskOutcome(
                    id: first, task: .annotation, worker: "w",
                    result: .annotated(Annotation(caption: caption, tags: tags, model: "m", promptHash: nil, tokens: nil))), at: t0))
        let record = try #require(try await store.record(id: first))
        #expect(record.filename == upper.filename)
        #expect(record.originalKey == "uploads/0001-Photo.jpg")
        #expect(record.annotation == caption)
        #expect(record.tags == tags)
        #expect(record.promptHash == nil && record.tokens == nil)
        #expect(record.uploadedAt == t0)
        #expect(try await store.record(id: second)?.originalKey == "uploads/0001-photo.jpg")
        #expect(try await store.record(sha256: lower.sha256)?.id == second)
        #expect(try await store.record(sha256: String(repeating: "f", count: 64)) == nil)
        #expect(try await store.record(id: 987_654) == nil)
        try await summaryMatchesTheRecords(store)
    }

    /// The counted summary agrees with the records themselves (the counters follow every change).
    static func summaryMatchesTheRecords(_ store: any MetadataStore, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let records = try await store.allRecords(filter: .all)
        var expected = StatusSummary(total: records.count, annotation: [:], thumbnail: [:], tokens: 0)
        for record in records {
            expected.annotation[record.annotationStatus, default: 0] += 1
            expected.thumbnail[record.thumbnailStatus, default: 0] += 1
            expected.tokens += record.tokens ?? 0
        }
        #expect(try await store.summary() == expected, sourceLocation: sourceLocation)
    }
}

extension MetadataStoreConformance {
    /// The batch-job ledger: saved and updated by display name, listed in flight oldest first,
    /// held by one owner at a time until the hold lapses, forgotten when never sent; and the
    /// tasks a job holds are listed by its worker name and shown on their records.
    static func batchJobsAreKeptHeldAndListed(_ store: any MetadataStore) async throws {
        var job = BatchJob(displayName: "annotate-1", model: "m", promptHash: "p", createdAt: t0, updatedAt: t0)
        try await store.saveBatchJob(job)
        try await store.saveBatchJob(BatchJob(displayName: "annotate-2", model: "m", createdAt: t0.addingTimeInterval(1), updatedAt: t0))
        #expect(try await store.batchJobs(includingFinished: false).map(\.displayName) == ["annotate-1", "annotate-2"])
        #expect(try await store.takeBatchJob("annotate-1", owner: "a", until: t0.addingTimeInterval(60), at: t0))
        #expect(try await store.takeBatchJob("annotate-1", owner: "a", until: t0.addingTimeInterval(90), at: t0), "the holder renews")
        #expect(try await !store.takeBatchJob("annotate-1", owner: "b", until: t0.addingTimeInterval(60), at: t0.addingTimeInterval(30)))
        #expect(try await store.takeBatchJob("annotate-1", owner: "b", until: t0.addingTimeInterval(200), at: t0.addingTimeInterval(91)), "lapsed")
        try await store.releaseBatchJob("annotate-1", owner: "a")
        #expect(
            try await !store.takeBatchJob("annotate-1", owner: "c", until: t0.addingTimeInterval(300), at: t0.addingTimeInterval(92)),
            "not a's to give")
        try await store.releaseBatchJob("annotate-1", owner: "b")
        #expect(try await store.takeBatchJob("annotate-1", owner: "c", until: t0.addingTimeInterval(300), at: t0.addingTimeInterval(92)))

        (job.name, job.phase, job.state, job.inputFile, job.requests, job.succeeded, job.note) = (
            "batches/x", .submitted, .running, "files/in", 3, 1, "polled"
        )
        job.updatedAt = t0.addingTimeInterval(5)
        try await store.saveBatchJob(job)
        #expect(try await store.batchJobs(includingFinished: false).first == job)
        job.phase = .finished
        try await store.saveBatchJob(job)
        try await store.deleteBatchJob("annotate-2")
        #expect(try await store.batchJobs(includingFinished: false).isEmpty)
        #expect(try await store.batchJobs(includingFinished: true) == [job])

        let ids = try await insert(store, count: 3)
        _ = try await store.claim(request(job.worker, limit: 2, tasks: [.annotation]), at: t0)
        let held = try await store.allRecords(filter: .annotationsHeldBy(job.worker))
        #expect(held.map(\.id) == Array(ids.prefix(2)) && held.allSatisfy { $0.batchJob == "annotate-1" })
        #expect(try await store.record(id: ids[2])?.batchJob == nil)
    }
}
