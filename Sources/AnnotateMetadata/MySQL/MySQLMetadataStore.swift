import AnnotateCore
import Foundation
import Logging

/// `MetadataStore` on MySQL 8 / MariaDB 10.6+ through Connector/C: prepared statements only, a
/// bounded connection pool off the cooperative pool, claims with `FOR UPDATE SKIP LOCKED`, and
/// operations retried over a reconnect when the server drops the connection or restarts.
public final class MySQLMetadataStore: MetadataStore {
    private let pool: MariaDBPool
    private let reconnectWindow: Duration
    private let logger: Logger
    /// The server and database, without the password.
    public var location: MySQLLocation { pool.location }

    /// Connects (failing at once when the server refuses or cannot be reached) and applies pending
    /// migrations. Later operations that lose their connection retry for up to `reconnectWindow`.
    public init(
        location: MySQLLocation, connections: Int = 8, reconnectWindow: Duration = .seconds(60),
        logger: Logger = Logger(label: "annotate.mysql")
    ) throws {
        pool = MariaDBPool(location: location, size: max(1, connections))
        self.reconnectWindow = reconnectWindow
        self.logger = logger
        do {
            // Opening blocks the caller, as opening a SQLite file does.
            let connection = try MariaDBConnection(location)
            try Self.migrate(connection)
            pool.adopt(connection)
        } catch let error as MariaDBError {
            throw error.isRefusal
                ? MetadataStoreError.refused(database: location.description, reason: "\(error.message); \(error.advice)")
                : MetadataStoreError.unavailable(database: location.description, reason: error.message)
        }
    }

    deinit {
        pool.closeIdle()
    }

    /// Applies every migration not yet recorded. A named lock serialises processes that open a
    /// new database at once (MySQL DDL cannot run inside a transaction).
    /// Duplicate column (1060), duplicate index (1061), nothing to drop (1091): what an ALTER
    /// that already ran says when it runs again.
    static let alreadyApplied: Set<UInt32> = [1060, 1061, 1091]

    static func migrate(_ connection: MariaDBConnection) throws {
        let locked = try connection.query("SELECT GET_LOCK('annotate.schema_migrations', 60) AS locked")
        guard locked.first?.integer("locked") == 1 else {
            throw MariaDBError(code: 1205, message: "timed out waiting for another process to finish migrating the database")
        }
        defer { _ = try? connection.query("SELECT RELEASE_LOCK('annotate.schema_migrations') AS released") }
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR(191) PRIMARY KEY, applied_at VARCHAR(32) NOT NULL)
                ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            """)
        let applied = Set(try connection.query("SELECT name FROM schema_migrations").compactMap { $0.text("name") })
        for migration in Schema.mysql where !applied.contains(migration.name) {
            for statement in migration.statements {
                do {
                    // Text protocol: not every DDL statement (CREATE TRIGGER) can be prepared.
                    try connection.command(statement)
                } catch {
                    // DDL commits itself and each ALTER is atomic: a run killed after one but
                    // before recording its migration left that ALTER whole. (Every other
                    // statement of a migration can simply run again.)
                    guard Self.alreadyApplied.contains(error.code) else { throw error }
                }
            }
            try connection.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                [.text(migration.name), .text(Timestamp.databaseText(Date()))])
        }
    }

    /// Names of the migrations applied to this database, in order.
    public func appliedMigrations() async throws -> [String] {
        try await run("list migrations") { connection in
            try connection.query("SELECT name FROM schema_migrations ORDER BY name").compactMap { $0.text("name") }
        }
    }

    // MARK: - Records

    /// Inserts the image, or finds the record of the same bytes.
    public func insert(_ image: NewImage, at now: Date) async throws -> InsertOutcome {
        let stamp = Timestamp.databaseText(now)
        return try await run("record \(image.filename)") { connection in
            do {
                try connection.execute(
                    """
                    INSERT INTO images (filename, sha256, content_type, size_bytes, width, height, s3_key_original,
                        tags, annotation_status, thumbnail_status, uploaded_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, '[]', 'pending', 'pending', ?, ?)
                    """,
                    [
                        .text(image.filename), .text(image.sha256), .text(image.contentType), .integer(image.size),
                        .integer(image.width), .integer(image.height), .text(image.originalKey), .text(stamp), .text(stamp),
                    ])
                return .inserted(id: connection.lastInsertID)
            } catch let error as MariaDBError where error.code == 1062 {
                // Another upload of the same bytes won the race (or came first).
                let rows = try connection.query("SELECT id FROM images WHERE sha256 = ?", [.text(image.sha256)])
                guard let id = rows.first?.integer("id") else { throw error }
                return .duplicate(id: id)
            }
        }
    }

    /// The record with this id.
    public func record(id: Int64) async throws -> ImageRecord? {
        try await run("read image \(id)") { connection in
            try connection.query("SELECT \(Schema.recordColumns) FROM images WHERE id = ?", [.integer(id)]).first.map(ImageRecord.init(row:))
        }
    }

    /// The record of these bytes.
    public func record(sha256: String) async throws -> ImageRecord? {
        try await run("look up a hash") { connection in
            try connection.query("SELECT \(Schema.recordColumns) FROM images WHERE sha256 = ?", [.text(sha256)]).first.map(ImageRecord.init(row:))
        }
    }

    /// Records by ascending id after `cursor`.
    public func records(after cursor: Int64?, limit: Int, filter: RecordFilter) async throws -> [ImageRecord] {
        let (condition, arguments) = SQLFragments.condition(for: filter)
        return try await run("list images") { connection in
            try connection.query(
                """
                SELECT \(Schema.recordColumns) FROM images WHERE id > ? AND \(condition) ORDER BY id LIMIT ?
                """, [.integer(cursor ?? 0)] + arguments + [.integer(limit)]
            ).map(ImageRecord.init(row:))
        }
    }

    /// Records by descending id before `cursor` (the gallery's pages).
    public func recordsNewestFirst(before cursor: Int64?, limit: Int, filter: RecordFilter) async throws -> [ImageRecord] {
        let (condition, arguments) = SQLFragments.condition(for: filter)
        return try await run("list images") { connection in
            try connection.query(
                """
                SELECT \(Schema.recordColumns) FROM images WHERE id < ? AND \(condition) ORDER BY id DESC LIMIT ?
                """, [.integer(cursor ?? Int64.max)] + arguments + [.integer(limit)]
            ).map(ImageRecord.init(row:))
        }
    }

    /// The most recently failed records.
    public func latestFailures(limit: Int) async throws -> [ImageRecord] {
        try await run("list failures") { connection in
            try connection.query(Schema.latestFailuresQuery, Array(repeating: .integer(limit), count: 3)).map(ImageRecord.init(row:))
        }
    }

    /// The counts, read from the trigger-kept counters.
    public func summary() async throws -> StatusSummary {
        try await run("count tasks") { connection in
            StatusSummary(
                counts: try connection.query("SELECT task, status, SUM(n) AS n FROM image_counts GROUP BY task, status").map {
                    ($0.text("task") ?? "", $0.text("status") ?? "", Int($0.integer("n") ?? 0))
                })
        }
    }

    /// The usage ledger per model and tier, summed over its shards.
    public func usage() async throws -> [UsageTotal] {
        try await run("read the token usage") { connection in
            try connection.query(Schema.usageQuery).map { row in
                UsageTotal(
                    model: row.text(at: 0) ?? "", tier: row.text(at: 1).flatMap(ServiceTier.init(rawValue:)) ?? .standard,
                    annotations: Int(row.integer(at: 2) ?? 0), inputTokens: Int(row.integer(at: 3) ?? 0),
                    outputTokens: Int(row.integer(at: 4) ?? 0), tokens: Int(row.integer(at: 5) ?? 0))
            }
        }
    }

    /// Closes the pooled connections (in-use ones close as they come back).
    public func close() async {
        pool.close()
    }

    /// Runs a trivial query on a pooled connection.
    public func ping() async throws {
        try await run("ping") { connection in _ = try connection.query("SELECT 1 AS one") }
    }

    /// The sum of `image_changes`, which triggers bump on every insert, update and delete (sharded
    /// by connection, like `image_counts`, so writers do not queue on one row).
    public func changeVersion() async throws -> Int64? {
        try await run("read the change version") { connection in
            try connection.query("SELECT CAST(COALESCE(SUM(n), 0) AS SIGNED) AS n FROM image_changes").first?.integer("n") ?? 0
        }
    }

    // MARK: - Leases

    /// Puts matching tasks back to pending, in one transaction.
    public func reset(_ request: ResetRequest, at now: Date) async throws -> Int {
        guard let plan = ResetPlan(request, differs: { "NOT (\($0) <=> ?)" }) else { return 0 }
        let stamp = Timestamp.databaseText(now)
        return try await transaction("reset tasks") { connection in
            let ids = try connection.query(plan.scope + " FOR UPDATE", plan.scopeArguments).compactMap { $0.integer("id") }
            guard !ids.isEmpty else { return 0 }
            for entry in plan.perTask {
                let (sql, arguments) = plan.update(entry, ids: ids, stamp: stamp)
                try connection.execute(sql, arguments)
            }
            return ids.count
        }
    }

    /// Claims in one transaction with `FOR UPDATE SKIP LOCKED`.
    public func claim(_ request: ClaimRequest, at now: Date) async throws -> [ClaimedImage] {
        guard !request.tasks.isEmpty, request.limit > 0 else { return [] }
        let plan = ClaimPlan(request, at: now, dialect: .mysql)
        return try await transaction("claim tasks") { connection in
            try plan.run(query: { try connection.query($0.sql, $0.arguments) }, execute: { try connection.execute($0.sql, $0.arguments) })
        }
    }

    /// Extends every lease `worker` holds.
    public func renewLeases(worker: String, until: Date, at now: Date) async throws {
        try await run("renew leases") { connection in
            for task in TaskKind.allCases {
                try connection.execute(
                    """
                    UPDATE images SET \(task)_lease_until = ? WHERE \(task)_lease_owner = ? AND \(task)_status = 'processing'
                    """, [.integer(Timestamp.milliseconds(until)), .text(worker)])
            }
        }
    }

    /// Hands back every lease `worker` holds.
    public func releaseLeases(worker: String, at now: Date) async throws {
        let stamp = Timestamp.databaseText(now)
        try await run("release leases") { connection in
            for task in TaskKind.allCases {
                try connection.execute(
                    """
                    UPDATE images SET \(task)_status = 'pending', \(task)_lease_owner = NULL, \(task)_lease_until = NULL,
                        \(task)_attempts = GREATEST(\(task)_attempts - 1, 0), updated_at = ?
                    WHERE \(task)_lease_owner = ? AND \(task)_status = 'processing'
                    """, [.text(stamp), .text(worker)])
            }
        }
    }

    /// Records the outcome if `outcome.worker` still holds the lease.
    public func record(_ outcome: TaskOutcome, at now: Date) async throws -> Bool {
        let task = outcome.task
        // Each outcome writes only its own task's columns, so annotation and thumbnail never
        // overwrite each other.
        let (assignments, arguments): (String, [SQLValue]) =
            switch outcome.result {
            case .annotated(let annotation):
                (
                    """
                    annotation_status = 'completed', annotation = ?, tags = ?, model = ?, prompt_hash = ?, tokens = ?,
                    input_tokens = ?, output_tokens = ?, service_tier = ?, annotation_error = NULL, annotation_error_class = NULL
                    """,
                    [
                        .text(annotation.caption), .text(TagList.encode(annotation.tags)), .text(annotation.model),
                        .text(annotation.promptHash), .integer(annotation.tokens), .integer(annotation.inputTokens),
                        .integer(annotation.outputTokens), .text(annotation.serviceTier?.rawValue),
                    ]
                )
            case .thumbnailed(let key):
                ("thumbnail_status = 'completed', s3_key_thumbnail = ?, thumbnail_error = NULL, thumbnail_error_class = NULL", [.text(key)])
            case .failed(let reason, let failure):
                ("\(task)_status = 'failed', \(task)_error = ?, \(task)_error_class = ?", [.text(reason), .text(failure.rawValue)])
            case .released:
                ("\(task)_status = 'pending', \(task)_attempts = GREATEST(\(task)_attempts - 1, 0)", [])
            case .retry(let reason, _):
                ("\(task)_status = 'pending', \(task)_error = ?", [.text(reason)])
            }
        // A task waiting to retry keeps its not-before time in the lease column.
        let leaseUntil: SQLValue = if case .retry(_, let notBefore) = outcome.result { .integer(Timestamp.milliseconds(notBefore)) } else { .null }
        let stamp = Timestamp.databaseText(now)
        return try await run("record the \(task) of image \(outcome.id)") { connection in
            try connection.execute(
                """
                UPDATE images SET \(assignments), \(task)_lease_owner = NULL, \(task)_lease_until = ?, updated_at = ?
                WHERE id = ? AND \(task)_status = 'processing' AND \(task)_lease_owner = ?
                """, arguments + [leaseUntil, .text(stamp), .integer(outcome.id), .text(outcome.worker)]) > 0
        }
    }

    /// When the earliest retry in scope is due.
    public func nextRetry(tasks: Set<TaskKind>, ids: [Int64]?) async throws -> Date? {
        guard !tasks.isEmpty else { return nil }
        let (idScope, arguments) = SQLFragments.idScope(ids)
        let ordered = tasks.sorted { $0.rawValue < $1.rawValue }
        let parts = ordered.map { "SELECT MIN(\($0)_lease_until) AS t FROM images WHERE \($0)_status = 'pending'\(idScope)" }
        return try await run("find the next retry") { connection in
            let rows = try connection.query(
                "SELECT MIN(t) AS t FROM (\(parts.joined(separator: " UNION ALL "))) AS waiting",
                ordered.flatMap { _ in arguments })
            return rows.first?.integer("t").map { Date(timeIntervalSince1970: TimeInterval($0) / 1000) }
        }
    }

    // MARK: - Running operations

    private func transaction<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        try await run(operation) { connection in try connection.transaction { try body(connection) } }
    }

    /// Runs `body` on a pooled connection. A lost connection (the server restarted, a proxy cut
    /// it) or a lost lock race is retried with backoff for up to the reconnect window; anything
    /// else becomes a `MetadataStoreError` naming the operation.
    func run<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + reconnectWindow
        var delay = Duration.milliseconds(50)
        while true {
            do {
                return try await pool.withConnection(body)
            } catch let error as MariaDBError where (error.isConnectionLost || error.isTransactionConflict) && clock.now < deadline {
                logger.debug("retrying after a database error", metadata: ["operation": "\(operation)", "error": "\(error.message)"])
                try await Task.sleep(for: delay * Double.random(in: 0.5...1.0))
                delay = min(delay * 2, .seconds(2))
            } catch let error as MariaDBError {
                throw error.isRefusal
                    ? MetadataStoreError.refused(database: location.description, reason: "\(error.message); \(error.advice)")
                    : MetadataStoreError.query(operation: operation, reason: error.message)
            }
        }
    }
}
