import Foundation
import GRDB
import Testing

@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotateMetadata

/// The suites that use the shared MariaDB test server. One of them restarts the server mid-run,
/// so they run one at a time (nested suites inherit `.serialized`).
@Suite(.serialized) enum MariaDBServerSuites {}

extension MariaDBServerSuites {
    /// The conformance checks, run unchanged on every backend.
    @Suite struct MetadataStoreTests {
        static let backends = Backend.allCases

        func store(_ backend: Backend) throws -> any MetadataStore { try backend.makeDatabase().open() }

        @Test(arguments: backends) func insertsAndDeduplicates(_ backend: Backend) async throws {
            try await MetadataStoreConformance.insertsAndDeduplicatesByHash(try store(backend))
        }
        @Test(arguments: backends) func changeVersionsMoveWithWrites(_ backend: Backend) async throws {
            let database = try backend.makeDatabase()
            try await MetadataStoreConformance.changeVersionMovesWithEveryWriteFromAnyProcess(
                writer: try database.open(), reader: try database.open())
        }
        @Test(arguments: backends) func claimsAreExclusive(_ backend: Backend) async throws {
            try await MetadataStoreConformance.concurrentClaimsNeverShareATask(try store(backend))
        }
        @Test(arguments: backends) func outcomesAreIndependent(_ backend: Backend) async throws {
            try await MetadataStoreConformance.outcomesNeverTouchTheOtherTask(try store(backend))
        }
        @Test(arguments: backends) func leasesExpire(_ backend: Backend) async throws {
            try await MetadataStoreConformance.expiredLeasesPassToAnotherWorker(try store(backend))
        }
        @Test(arguments: backends) func leasesRenew(_ backend: Backend) async throws {
            try await MetadataStoreConformance.renewedLeasesStayWithTheirWorker(try store(backend))
        }
        @Test(arguments: backends) func retries(_ backend: Backend) async throws {
            try await MetadataStoreConformance.retriesWaitThenGiveUp(try store(backend))
        }
        @Test(arguments: backends) func claimsHandOutOnlyWhatTheyLeased(_ backend: Backend) async throws {
            try await MetadataStoreConformance.claimsHandOutOnlyWhatTheyLeased(try store(backend))
        }
        @Test(arguments: backends) func attemptsRunOut(_ backend: Backend) async throws {
            try await MetadataStoreConformance.tasksOutOfAttemptsAreFailedNotClaimed(try store(backend))
        }
        @Test(arguments: backends) func resets(_ backend: Backend) async throws {
            try await MetadataStoreConformance.resetGivesFinishedTasksAFreshStart(try store(backend))
        }
        @Test(arguments: backends) func releases(_ backend: Backend) async throws {
            try await MetadataStoreConformance.releasedLeasesAreClaimableAtOnce(try store(backend))
        }
        @Test(arguments: backends) func summaries(_ backend: Backend) async throws {
            try await MetadataStoreConformance.listsSummariesAndFilters(try store(backend))
        }
        @Test(arguments: backends) func usageLedger(_ backend: Backend) async throws {
            try await MetadataStoreConformance.usageLedgerCountsEveryRecordedAnnotation(try store(backend))
        }
        @Test(arguments: backends) func batchJobs(_ backend: Backend) async throws {
            try await MetadataStoreConformance.batchJobsAreKeptHeldAndListed(try store(backend))
        }
        @Test(arguments: backends) func textRoundTrips(_ backend: Backend) async throws {
            try await MetadataStoreConformance.textRoundTripsExactly(try store(backend))
        }

        @Test(arguments: backends) func claimsAreExclusiveAcrossConnections(_ backend: Backend) async throws {
            // Separate stores on one database behave like separate processes: separate connections.
            let database = try backend.makeDatabase()
            let stores = try (0..<4).map { _ in try database.open() }
            try await MetadataStoreConformance.insert(stores[0], count: 30)
            let pairs = try await withThrowingTaskGroup(of: [String].self) { group in
                for (n, store) in stores.enumerated() {
                    group.addTask {
                        var mine: [String] = []
                        while case let batch = try await store.claim(MetadataStoreConformance.request("w\(n)", limit: 2), at: Date()), !batch.isEmpty
                        {
                            mine += batch.flatMap { image in image.tasks.map { "\(image.record.id)-\($0)" } }
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(pairs.count == 60 && Set(pairs).count == 60)
            #expect(try await stores[1].summary().annotation == [.processing: 30])
            try await MetadataStoreConformance.summaryMatchesTheRecords(stores[2])
        }
    }
}

@Suite struct SQLiteMetadataStoreTests {
    /// The version `serve` reads on an event loop never waits: while another connection holds the
    /// file locked it fails at once (the request then goes to the router, whose read may wait).
    @Test func theImmediateVersionNeverWaitsForALock() async throws {
        let path = try Fixtures.temporaryDirectory("locked").appendingPathComponent("plain.db").path
        let holder = try DatabaseQueue(path: path)  // a rollback journal: a writer locks readers out
        try await holder.write { db in try db.execute(sql: "CREATE TABLE t (x)") }
        let version = SQLiteChangeVersion(path: path)
        let before = try #require(version.readImmediately())
        var waiting: Task<Int64, any Error>?
        try holder.inTransaction(.exclusive) { db in
            try db.execute(sql: "INSERT INTO t VALUES (1)")
            waiting = Task { try await version.read() }
            usleep(200_000)  // the waiting read is trying meanwhile
            let started = ContinuousClock.now
            #expect(version.readImmediately() == nil, "not held up by the lock, nor by the waiting read")
            #expect(ContinuousClock.now - started < .seconds(10), "it did not wait out a busy timeout")
            return .commit
        }
        let waited = try await #require(waiting).value
        #expect(waited != before, "the waiting read waited the lock out and saw the write")
        #expect(version.readImmediately() == waited, "both read the one counter")
    }

    @Test func theImmediateVersionIsTheVersionPagesAreKeptAt() async throws {
        // A page is kept at changeVersion() and checked against immediateChangeVersion(): each
        // connection's data_version is its own counter, so the two must be one connection's or
        // a changed record can match a kept page (seen: serve showing "processing" for good).
        let store = try SQLiteMetadataStore(path: try Fixtures.temporaryDirectory("immediate").appendingPathComponent("a.db").path)
        let other = try SQLiteMetadataStore(path: store.path)
        var seen: Set<Int64> = []
        var inserted = 0
        func write(_ step: Int) async throws {
            // Commits by the store's own pool and by another process's alike.
            inserted += 1
            _ = try await (step.isMultiple(of: 2) ? store : other).insert(MetadataStoreConformance.image(inserted), at: MetadataStoreConformance.t0)
        }
        for step in 0..<6 {
            // Reads at their own times, as the router's and the event loop's are: one often,
            // the other not at all while nothing asks for a kept page.
            try await write(step)
            if step.isMultiple(of: 2) { _ = try await store.changeVersion() } else { _ = store.immediateChangeVersion() }
            try await write(step + 1)
            let kept = try #require(try await store.changeVersion())
            #expect(store.immediateChangeVersion() == kept, "step \(step)")
            #expect(seen.insert(kept).inserted, "step \(step): a new version after a write")
            try await write(step)
            #expect(store.immediateChangeVersion() != kept, "step \(step): the write is seen at once")
        }
    }

    @Test func concurrentOpensMigrateOnce() async throws {
        let path = try Fixtures.temporaryDirectory("migrate").appendingPathComponent("annotate.db").path
        let stores = try await withThrowingTaskGroup(of: SQLiteMetadataStore.self) { group in
            for _ in 0..<6 { group.addTask { try SQLiteMetadataStore(path: path) } }
            return try await group.reduce(into: [SQLiteMetadataStore]()) { $0.append($1) }
        }
        #expect(try await stores[0].appliedMigrations() == Schema.sqlite.map(\.name))
    }

    @Test func migratesTheOriginalDeploymentsTableInPlace() async throws {
        let path = try Fixtures.temporaryDirectory("legacy").appendingPathComponent("legacy.db").path
        let legacy = try DatabaseQueue(path: path)
        try await legacy.write { db in
            try db.execute(sql: Schema.sqlite[0].statements[0])
            try db.execute(
                sql: """
                    INSERT INTO images (filename, s3_key_original, s3_key_thumbnail, annotation, annotation_status, thumbnail_status, uploaded_at)
                        VALUES ('old.jpg', 'uploads/old.jpg', 'thumbnails/old.jpg', 'An old caption.', 'completed', 'completed', '2023-05-01 10:00:00');
                    INSERT INTO images (filename, s3_key_original) VALUES ('waiting.jpg', 'uploads/waiting.jpg');
                    INSERT INTO images (filename, s3_key_original, annotation_status, thumbnail_status) VALUES ('nulls.jpg', 'uploads/nulls.jpg', NULL, NULL);
                    """)
        }
        try legacy.close()
        let store = try SQLiteMetadataStore(path: path)
        let records = try await store.records(after: nil, limit: 10, filter: .all)
        #expect(records.map(\.filename) == ["old.jpg", "waiting.jpg", "nulls.jpg"])
        #expect(records[0].annotation == "An old caption." && records[0].annotationStatus == .completed)
        #expect(records[0].uploadedAt == Timestamp.parse("2023-05-01 10:00:00"))
        #expect(records[1].annotationStatus == .pending && records[2].thumbnailStatus == .pending)
        #expect(records.allSatisfy { $0.sha256 == nil })
        try await MetadataStoreConformance.summaryMatchesTheRecords(store)
        let claimed = try await store.claim(MetadataStoreConformance.request("w"), at: Date())
        #expect(claimed.map(\.record.filename) == ["waiting.jpg", "nulls.jpg"])
    }
}
