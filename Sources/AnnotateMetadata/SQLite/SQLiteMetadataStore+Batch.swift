import AnnotateCore
import Foundation
import GRDB

/// The batch-job ledger on SQLite.
extension SQLiteMetadataStore {
    /// Records or updates `job`.
    public func saveBatchJob(_ job: BatchJob) async throws {
        let (sql, values) = BatchJobRows.save(job) { columns in
            "ON CONFLICT (display_name) DO UPDATE SET " + columns.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        }
        try await write("record the batch job \(job.displayName)") { db in try db.execute(sql: sql, arguments: StatementArguments(values)) }
    }

    /// The jobs, oldest first.
    public func batchJobs(includingFinished: Bool) async throws -> [BatchJob] {
        try await read("read the batch jobs") { db in
            try Row.fetchAll(db, sql: BatchJobRows.select(includingFinished: includingFinished)).map(BatchJob.init(row:))
        }
    }

    /// Takes the job unless another owner holds it.
    public func takeBatchJob(_ displayName: String, owner: String, until: Date, at now: Date) async throws -> Bool {
        let (sql, values) = BatchJobRows.take(displayName, owner: owner, until: until, at: now)
        return try await write("take the batch job \(displayName)") { db in
            try db.execute(sql: sql, arguments: StatementArguments(values))
            return db.changesCount > 0
        }
    }

    /// Forgets a job that was never sent.
    public func deleteBatchJob(_ displayName: String) async throws {
        try await write("forget the batch job \(displayName)") { db in
            try db.execute(sql: "DELETE FROM batch_jobs WHERE display_name = ?", arguments: [displayName])
        }
    }

    /// Gives the job up.
    public func releaseBatchJob(_ displayName: String, owner: String) async throws {
        let (sql, values) = BatchJobRows.release(displayName, owner: owner)
        try await write("release the batch job \(displayName)") { db in try db.execute(sql: sql, arguments: StatementArguments(values)) }
    }
}
