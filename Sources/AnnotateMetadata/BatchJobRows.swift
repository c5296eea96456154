import AnnotateCore
import Foundation

/// The `batch_jobs` table's statements, the same on both backends but for the upsert clause.
enum BatchJobRows {
    /// What every job query selects, in `BatchJob(row:)` order.
    static let columns = """
        display_name, name, model, prompt_hash, phase, state, input_file, requests, succeeded, failed, note, created_ms, updated_ms
        """

    static func select(includingFinished: Bool) -> String {
        "SELECT \(columns) FROM batch_jobs\(includingFinished ? "" : " WHERE phase <> 'finished'") ORDER BY created_ms, display_name"
    }

    /// The insert of `job`, `upsert` being the dialect's "on a duplicate key, update these columns".
    static func save(_ job: BatchJob, upsert: ([String]) -> String) -> (String, [SQLValue]) {
        let updated = ["name", "phase", "state", "input_file", "requests", "succeeded", "failed", "note", "updated_ms"]
        return (
            "INSERT INTO batch_jobs (\(columns)) VALUES (\(SQLFragments.placeholders(13))) \(upsert(updated))",
            [
                .text(job.displayName), .text(job.name), .text(job.model), .text(job.promptHash), .text(job.phase.rawValue),
                .text(job.state?.rawValue),
                .text(job.inputFile), .integer(job.requests), .integer(job.succeeded), .integer(job.failed), .text(job.note),
                .integer(Timestamp.milliseconds(job.createdAt)), .integer(Timestamp.milliseconds(job.updatedAt)),
            ]
        )
    }

    /// Takes the job for `owner` unless another owner's hold is still live.
    static func take(_ displayName: String, owner: String, until: Date, at now: Date) -> (String, [SQLValue]) {
        (
            """
            UPDATE batch_jobs SET owner = ?, owner_until = ?
            WHERE display_name = ? AND (owner IS NULL OR owner = ? OR owner_until <= ?)
            """,
            [.text(owner), .integer(Timestamp.milliseconds(until)), .text(displayName), .text(owner), .integer(Timestamp.milliseconds(now))]
        )
    }

    /// Gives the job up, if `owner` holds it.
    static func release(_ displayName: String, owner: String) -> (String, [SQLValue]) {
        ("UPDATE batch_jobs SET owner = NULL, owner_until = NULL WHERE display_name = ? AND owner = ?", [.text(displayName), .text(owner)])
    }
}

extension BatchJob {
    /// Decodes `BatchJobRows.columns` by position.
    init(row: some RecordRow) {
        func date(_ index: Int) -> Date { Date(timeIntervalSince1970: TimeInterval(row.integer(at: index) ?? 0) / 1000) }
        self.init(
            displayName: row.text(at: 0) ?? "", name: row.text(at: 1), model: row.text(at: 2) ?? "", promptHash: row.text(at: 3),
            phase: row.text(at: 4).flatMap(Phase.init(rawValue:)) ?? .submitting, state: row.text(at: 5).flatMap(BatchJobState.init(rawValue:)),
            inputFile: row.text(at: 6), requests: Int(row.integer(at: 7) ?? 0), succeeded: Int(row.integer(at: 8) ?? 0),
            failed: Int(row.integer(at: 9) ?? 0), note: row.text(at: 10), createdAt: date(11), updatedAt: date(12))
    }
}
