import Foundation

/// The statements of a claim, the same on both backends but for their dialect: find candidates
/// by one index range per task and status (in id order, so a huge queue costs no more than a
/// small one), fail the candidates' tasks that are out of attempts, lease the rest, read them back.
struct ClaimPlan: Sendable {
    /// What differs between the backends.
    enum Dialect: Sendable {
        case sqlite, mysql

        /// Appended to candidate queries (MySQL: `FOR UPDATE SKIP LOCKED`, so workers never wait
        /// for each other's candidates; SQLite's write transaction is already exclusive).
        var lockSuffix: String { self == .mysql ? " FOR UPDATE SKIP LOCKED" : "" }

        /// String concatenation of SQL expressions.
        func concat(_ parts: [String]) -> String {
            self == .mysql ? "CONCAT(" + parts.joined(separator: ", ") + ")" : parts.joined(separator: " || ")
        }
    }

    typealias Statement = (sql: String, arguments: [SQLValue])

    let request: ClaimRequest
    let dialect: Dialect
    let tasks: [TaskKind]
    let nowMs: Int64
    let until: Int64
    let stamp: String

    init(_ request: ClaimRequest, at now: Date, dialect: Dialect) {
        self.request = request
        self.dialect = dialect
        tasks = request.tasks.sorted { $0.rawValue < $1.rawValue }
        nowMs = Timestamp.milliseconds(now)
        until = Timestamp.milliseconds(now.addingTimeInterval(request.lease.seconds))
        stamp = Timestamp.databaseText(now)
    }

    /// One query per task and status; the first `limit` ids of their union are the candidates.
    var candidateQueries: [Statement] {
        let (idScope, idArguments) = SQLFragments.idScope(request.ids)
        return tasks.flatMap { task in
            ["pending", "processing"].map { status in
                ("""
                SELECT id FROM images WHERE \(task)_status = '\(status)' AND COALESCE(\(task)_lease_until, 0) <= ?\(idScope)
                ORDER BY id LIMIT ?\(dialect.lockSuffix)
                """, [.integer(nowMs)] + idArguments + [.integer(request.limit)])
            }
        }
    }

    func candidates(from found: Set<Int64>) -> [Int64] {
        Array(found.sorted().prefix(request.limit))
    }

    /// Per task: fail it when out of attempts (this is what stops an image that kills its worker
    /// from killing every worker after it), then lease it. The class is assigned before the error:
    /// MySQL evaluates assignments left to right.
    func updates(_ candidates: [Int64]) -> [(failOut: Statement, lease: Statement)] {
        let list = SQLFragments.placeholders(candidates.count)
        let ids = candidates.map { SQLValue.integer($0) }
        return tasks.map { task in
            let reason = dialect.concat(["'gave up after '", "\(task)_attempts", "' attempts: '",
                                         "COALESCE(\(task)_error, 'the worker stopped while processing it')"])
            let failOut: Statement = ("""
                UPDATE images SET \(task)_status = 'failed',
                    \(task)_error_class = CASE WHEN \(task)_error IS NULL THEN 'limit' ELSE 'transient' END,
                    \(task)_error = \(reason),
                    \(task)_lease_owner = NULL, \(task)_lease_until = NULL, updated_at = ?
                WHERE id IN (\(list)) AND \(task)_status IN ('pending', 'processing')
                    AND COALESCE(\(task)_lease_until, 0) <= ? AND \(task)_attempts >= ?
                """, [.text(stamp)] + ids + [.integer(nowMs), .integer(request.maxAttempts)])
            let lease: Statement = ("""
                UPDATE images SET \(task)_status = 'processing', \(task)_lease_owner = ?, \(task)_lease_until = ?,
                    \(task)_attempts = \(task)_attempts + 1, updated_at = ?
                WHERE id IN (\(list)) AND \(task)_status IN ('pending', 'processing')
                    AND COALESCE(\(task)_lease_until, 0) <= ?
                """, [.text(request.worker), .integer(until), .text(stamp)] + ids + [.integer(nowMs)])
            return (failOut, lease)
        }
    }

    func readBack(_ candidates: [Int64]) -> Statement {
        ("""
        SELECT \(Schema.recordColumns), annotation_lease_owner, thumbnail_lease_owner
        FROM images WHERE id IN (\(SQLFragments.placeholders(candidates.count))) ORDER BY id
        """, candidates.map { .integer($0) })
    }

    /// The images whose tasks this worker now holds.
    func claimed(_ rows: [some RecordRow]) -> [ClaimedImage] {
        rows.compactMap { row in
            let record = ImageRecord(row: row)
            let held = Set(request.tasks.filter { task in
                // The two owners follow the record's columns, in readBack's order.
                let owner = row.text(at: Schema.recordColumnCount + (task == .annotation ? 0 : 1))
                return record.status(of: task) == .processing && owner == request.worker
            })
            return held.isEmpty ? nil : ClaimedImage(record: record, tasks: held)
        }
    }
}
