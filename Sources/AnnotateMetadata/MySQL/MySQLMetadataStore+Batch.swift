import AnnotateCore
import Foundation

/// The batch-job ledger on MySQL/MariaDB.
extension MySQLMetadataStore {
    /// Records or updates `job`.
    public func saveBatchJob(_ job: BatchJob) async throws {
        let (sql, values) = BatchJobRows.save(job) { columns in
            "ON DUPLICATE KEY UPDATE " + columns.map { "\($0) = VALUES(\($0))" }.joined(separator: ", ")
        }
        _ = try await run("record the batch job \(job.displayName)") { connection in try connection.execute(sql, values) }
    }

    /// The jobs, oldest first.
    public func batchJobs(includingFinished: Bool) async throws -> [BatchJob] {
        try await run("read the batch jobs") { connection in
            try connection.query(BatchJobRows.select(includingFinished: includingFinished)).map(BatchJob.init(row:))
        }
    }

    /// Takes the job unless another owner holds it.
    public func takeBatchJob(_ displayName: String, owner: String, until: Date, at now: Date) async throws -> Bool {
        let (sql, values) = BatchJobRows.take(displayName, owner: owner, until: until, at: now)
        return try await run("take the batch job \(displayName)") { connection in try connection.execute(sql, values) > 0 }
    }

    /// Forgets a job that was never sent.
    public func deleteBatchJob(_ displayName: String) async throws {
        _ = try await run("forget the batch job \(displayName)") { connection in
            try connection.execute("DELETE FROM batch_jobs WHERE display_name = ?", [.text(displayName)])
        }
    }

    /// Gives the job up.
    public func releaseBatchJob(_ displayName: String, owner: String) async throws {
        let (sql, values) = BatchJobRows.release(displayName, owner: owner)
        _ = try await run("release the batch job \(displayName)") { connection in try connection.execute(sql, values) }
    }
}
