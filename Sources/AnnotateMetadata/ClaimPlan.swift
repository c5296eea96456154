import AnnotateCore
import Foundation

/// The statements of a claim, the same on both backends but for their dialect: find candidates
/// in one statement of one index range per task and status (in id order, so a huge queue costs no
/// more than a small one), fail the candidates' tasks that are out of attempts, lease the rest,
/// read them back. Few statements matter: on MySQL each is a round trip.
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

    /// One statement: per task and status, the first `limit` ready rows in id order, as
    /// (task, id, attempts). (MySQL takes a locking clause per part; SQLite wants each limited
    /// part wrapped in a subquery.)
    var candidateQuery: Statement {
        let (idScope, idArguments) = SQLFragments.idScope(request.ids)
        let parts = tasks.flatMap { task in
            ["pending", "processing"].map { status in
                """
                SELECT '\(task)' AS task, id, \(task)_attempts AS attempts FROM images
                WHERE \(task)_status = '\(status)' AND COALESCE(\(task)_lease_until, 0) <= ?\(idScope)
                ORDER BY id LIMIT ?\(dialect.lockSuffix)
                """
            }
        }
        let sql =
            switch dialect {
            case .mysql: parts.map { "(\($0))" }.joined(separator: " UNION ALL ")
            case .sqlite: parts.map { "SELECT * FROM (\($0))" }.joined(separator: " UNION ALL ")
            }
        return (sql, parts.flatMap { _ in [.integer(nowMs)] + idArguments + [.integer(request.limit)] })
    }

    /// What one claim does with its candidates: the first `limit` ids of the union; per task, the
    /// ones out of attempts are failed, the rest leased.
    struct Selection {
        var failOuts: [TaskKind: [Int64]] = [:]
        var leases: [TaskKind: [Int64]] = [:]
        var leasedIDs: [Int64] { Set(leases.values.joined()).sorted() }
    }

    /// Nil when nothing is ready.
    func select(_ rows: [some RecordRow]) -> Selection? {
        let found = rows.compactMap { row in
            row.text(at: 0).flatMap(TaskKind.init(rawValue:)).flatMap { task in
                row.integer(at: 1).map { (task: task, id: $0, attempts: row.integer(at: 2) ?? 0) }
            }
        }
        let chosen = Set(Set(found.map(\.id)).sorted().prefix(request.limit))
        guard !chosen.isEmpty else { return nil }
        var selection = Selection()
        for candidate in found where chosen.contains(candidate.id) {
            if candidate.attempts >= request.maxAttempts {
                selection.failOuts[candidate.task, default: []].append(candidate.id)
            } else {
                selection.leases[candidate.task, default: []].append(candidate.id)
            }
        }
        return selection
    }

    /// Fails tasks out of attempts: this is what stops an image that kills its worker from
    /// killing every worker after it. The class is assigned before the error: MySQL evaluates
    /// assignments left to right.
    func failOut(_ task: TaskKind, ids: [Int64]) -> Statement {
        let reason = dialect.concat([
            "'gave up after '", "\(task)_attempts", "' attempts: '",
            "COALESCE(\(task)_error, 'the worker stopped while processing it')",
        ])
        return (
            """
            UPDATE images SET \(task)_status = 'failed',
                \(task)_error_class = CASE WHEN \(task)_error IS NULL THEN 'limit' ELSE 'transient' END,
                \(task)_error = \(reason),
                \(task)_lease_owner = NULL, \(task)_lease_until = NULL, updated_at = ?
            WHERE id IN (\(SQLFragments.placeholders(ids.count))) AND \(task)_status IN ('pending', 'processing')
                AND COALESCE(\(task)_lease_until, 0) <= ?
            """, [.text(stamp)] + ids.map { .integer($0) } + [.integer(nowMs)]
        )
    }

    /// Leases tasks to this worker. (The candidates are locked, so the conditions only guard.)
    func lease(_ task: TaskKind, ids: [Int64]) -> Statement {
        (
            """
            UPDATE images SET \(task)_status = 'processing', \(task)_lease_owner = ?, \(task)_lease_until = ?,
                \(task)_attempts = \(task)_attempts + 1, updated_at = ?
            WHERE id IN (\(SQLFragments.placeholders(ids.count))) AND \(task)_status IN ('pending', 'processing')
                AND COALESCE(\(task)_lease_until, 0) <= ?
            """, [.text(request.worker), .integer(until), .text(stamp)] + ids.map { .integer($0) } + [.integer(nowMs)]
        )
    }

    /// The claim, run with the backend's statements inside its write transaction.
    func run<Row: RecordRow>(query: (Statement) throws -> [Row], execute: (Statement) throws -> Int) throws -> [ClaimedImage] {
        while true {
            guard let selection = select(try query(candidateQuery)) else { return [] }
            var failedOut = 0
            for task in tasks {
                if let ids = selection.failOuts[task] { failedOut += try execute(failOut(task, ids: ids)) }
                if let ids = selection.leases[task] { _ = try execute(lease(task, ids: ids)) }
            }
            let leased = selection.leasedIDs
            guard !leased.isEmpty else {
                // Every candidate was out of attempts: look again, so an empty answer always means no work.
                if failedOut > 0 { continue }
                return []
            }
            return claimed(try query(readBack(leased)), leased: selection)
        }
    }

    func readBack(_ candidates: [Int64]) -> Statement {
        (
            """
            SELECT \(Schema.recordColumns), annotation_lease_owner, thumbnail_lease_owner
            FROM images WHERE id IN (\(SQLFragments.placeholders(candidates.count))) ORDER BY id
            """, candidates.map { .integer($0) }
        )
    }

    /// The images whose tasks this claim leased. Only those: the worker may hold other tasks of
    /// the same image from an earlier claim (a thumbnail that waited for its retry while the
    /// annotation was in flight), and reporting them again would run them twice.
    func claimed(_ rows: [some RecordRow], leased selection: Selection) -> [ClaimedImage] {
        rows.compactMap { row in
            let record = ImageRecord(row: row)
            let held = Set(
                tasks.filter { task in
                    // The two owners follow the record's columns, in readBack's order.
                    let owner = row.text(at: Schema.recordColumnCount + (task == .annotation ? 0 : 1))
                    return selection.leases[task]?.contains(record.id) == true
                        && record.status(of: task) == .processing && owner == request.worker
                })
            return held.isEmpty ? nil : ClaimedImage(record: record, tasks: held)
        }
    }
}
