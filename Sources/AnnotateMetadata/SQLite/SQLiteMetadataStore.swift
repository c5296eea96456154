import AnnotateCore
import Foundation
import GRDB

/// `MetadataStore` on a SQLite file (GRDB over the system libsqlite3): WAL so readers never wait
/// for the writer, a busy timeout so several processes can share the file, and IMMEDIATE write
/// transactions so a claim is atomic across processes.
public final class SQLiteMetadataStore: MetadataStore {
    private let pool: DatabasePool
    /// `changeVersion()`'s and `immediateChangeVersion()`'s one connection (their values must be
    /// comparable, and only one connection's are): it never writes, so it sees every commit, the
    /// pool's and other processes' alike, with no trigger or counter on the write path.
    private let version: SQLiteChangeVersion
    /// The file's path, for messages.
    public let path: String

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String) throws {
        self.path = path
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.write { db in try Self.migrate(db) }
            version = SQLiteChangeVersion(path: path)
        } catch {
            throw MetadataStoreError.unavailable(database: "sqlite:\(path)", reason: Self.reason(error))
        }
    }

    /// Applies every migration not yet recorded, inside the caller's IMMEDIATE transaction, so
    /// processes opening a new database at once apply each migration exactly once.
    static func migrate(_ db: Database) throws {
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        let applied = Set(try String.fetchAll(db, sql: "SELECT name FROM schema_migrations"))
        for migration in Schema.sqlite where !applied.contains(migration.name) {
            for statement in migration.statements {
                try db.execute(sql: statement)
            }
            try db.execute(
                sql: "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                arguments: [migration.name, Timestamp.databaseText(Date())])
        }
    }

    /// Names of the migrations applied to this database, in order.
    public func appliedMigrations() async throws -> [String] {
        try await read("list migrations") { db in
            try String.fetchAll(db, sql: "SELECT name FROM schema_migrations ORDER BY name")
        }
    }

    // MARK: - Records

    /// Inserts the image, or finds the record of the same bytes.
    public func insert(_ image: NewImage, at now: Date) async throws -> InsertOutcome {
        try await write("record \(image.filename)") { db in
            if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM images WHERE sha256 = ?", arguments: [image.sha256]) {
                return .duplicate(id: existing)
            }
            let stamp = Timestamp.databaseText(now)
            try db.execute(
                sql: """
                    INSERT INTO images (filename, sha256, content_type, size_bytes, width, height, s3_key_original,
                        tags, annotation_status, thumbnail_status, uploaded_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, '[]', 'pending', 'pending', ?, ?)
                    """,
                arguments: [
                    image.filename, image.sha256, image.contentType, image.size, image.width, image.height,
                    image.originalKey, stamp, stamp,
                ])
            return .inserted(id: db.lastInsertedRowID)
        }
    }

    /// The record with this id.
    public func record(id: Int64) async throws -> ImageRecord? {
        try await readOne("read image \(id)") { db in
            try Self.fetchRecords(db, "SELECT \(Schema.recordColumns) FROM images WHERE id = ?", [id]).first
        }
    }

    /// The record of these bytes.
    public func record(sha256: String) async throws -> ImageRecord? {
        try await read("look up a hash") { db in
            try Self.fetchRecords(db, "SELECT \(Schema.recordColumns) FROM images WHERE sha256 = ?", [sha256]).first
        }
    }

    /// Records by ascending id after `cursor`.
    public func records(after cursor: Int64?, limit: Int, filter: RecordFilter) async throws -> [ImageRecord] {
        let (condition, arguments) = Self.condition(for: filter)
        return try await readOne("list images") { db in
            try Self.fetchRecords(
                db,
                """
                SELECT \(Schema.recordColumns) FROM images WHERE id > ? AND \(condition) ORDER BY id LIMIT ?
                """, StatementArguments([cursor ?? 0]) + arguments + [limit])
        }
    }

    /// Records by descending id before `cursor` (the gallery's pages).
    public func recordsNewestFirst(before cursor: Int64?, limit: Int, filter: RecordFilter) async throws -> [ImageRecord] {
        let (condition, arguments) = Self.condition(for: filter)
        return try await readOne("list images") { db in
            try Self.fetchRecords(
                db,
                """
                SELECT \(Schema.recordColumns) FROM images WHERE id < ? AND \(condition) ORDER BY id DESC LIMIT ?
                """, StatementArguments([cursor ?? Int64.max]) + arguments + [limit])
        }
    }

    /// The most recently failed records.
    public func latestFailures(limit: Int) async throws -> [ImageRecord] {
        try await read("list failures") { db in
            try Self.fetchRecords(db, Schema.latestFailuresQuery, [limit, limit, limit])
        }
    }

    /// The counts, read from the trigger-kept counters.
    public func summary() async throws -> StatusSummary {
        try await read("count tasks") { db in
            StatusSummary(
                counts: try Row.fetchAll(db.cachedStatement(sql: "SELECT task, status, SUM(n) AS n FROM image_counts GROUP BY task, status")).map {
                    ($0["task"], $0["status"], $0["n"])
                })
        }
    }

    /// The usage ledger per model and tier.
    public func usage() async throws -> [UsageTotal] {
        try await read("read the token usage") { db in
            try Row.fetchAll(db.cachedStatement(sql: Schema.usageQuery)).map { row in
                UsageTotal(
                    model: row[0], tier: ServiceTier(rawValue: row[1]) ?? .standard, annotations: row[2], inputTokens: row[3],
                    outputTokens: row[4], tokens: row[5])
            }
        }
    }

    /// Closes the database's connections (GRDB waits for the ones in use, so off the
    /// cooperative pool).
    public func close() async {
        let pool = pool
        _ = try? await runBlocking { try pool.close() }
    }

    /// Runs a trivial query.
    public func ping() async throws {
        _ = try await read("ping") { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// A microsecond read on the connection that never writes, taken without a thread hop.
    public func changeVersion() async throws -> Int64? {
        try await version.read()
    }

    /// The same read, except that a lock held by a writer (a checkpoint, a recovery) makes it
    /// nil at once instead of waiting.
    public func immediateChangeVersion() -> Int64? {
        version.readImmediately()
    }

    // MARK: - Leases

    /// Puts matching tasks back to pending, in one transaction.
    public func reset(_ request: ResetRequest, at now: Date) async throws -> Int {
        guard let plan = ResetPlan(request, differs: { "\($0) IS NOT ?" }) else { return 0 }
        let stamp = Timestamp.databaseText(now)
        return try await write("reset tasks") { db in
            let ids = try Int64.fetchAll(db, sql: plan.scope, arguments: StatementArguments(plan.scopeArguments))
            guard !ids.isEmpty else { return 0 }
            for entry in plan.perTask {
                let (sql, arguments) = plan.update(entry, ids: ids, stamp: stamp)
                try db.execute(sql: sql, arguments: StatementArguments(arguments))
            }
            return ids.count
        }
    }

    /// Claims in one immediate write transaction.
    public func claim(_ request: ClaimRequest, at now: Date) async throws -> [ClaimedImage] {
        guard !request.tasks.isEmpty, request.limit > 0 else { return [] }
        let plan = ClaimPlan(request, at: now, dialect: .sqlite)
        return try await write("claim tasks") { db in
            try plan.run(
                query: { try Row.fetchAll(db, sql: $0.sql, arguments: StatementArguments($0.arguments)) },
                execute: {
                    try db.execute(sql: $0.sql, arguments: StatementArguments($0.arguments))
                    return db.changesCount
                })
        }
    }

    /// Extends every lease `worker` holds.
    public func renewLeases(worker: String, until: Date, at now: Date) async throws {
        try await write("renew leases") { db in
            for task in TaskKind.allCases {
                try db.execute(
                    sql: """
                        UPDATE images SET \(task)_lease_until = ? WHERE \(task)_lease_owner = ? AND \(task)_status = 'processing'
                        """, arguments: [Timestamp.milliseconds(until), worker])
            }
        }
    }

    /// Hands back every lease `worker` holds.
    public func releaseLeases(worker: String, at now: Date) async throws {
        try await write("release leases") { db in
            for task in TaskKind.allCases {
                try db.execute(
                    sql: """
                        UPDATE images SET \(task)_status = 'pending', \(task)_lease_owner = NULL, \(task)_lease_until = NULL,
                            \(task)_attempts = MAX(\(task)_attempts - 1, 0), updated_at = ?
                        WHERE \(task)_lease_owner = ? AND \(task)_status = 'processing'
                        """, arguments: [Timestamp.databaseText(now), worker])
            }
        }
    }

    /// Records the outcome if `outcome.worker` still holds the lease.
    public func record(_ outcome: TaskOutcome, at now: Date) async throws -> Bool {
        let task = outcome.task
        let stamp = Timestamp.databaseText(now)
        let (assignments, arguments): (String, StatementArguments) =
            switch outcome.result {
            case .annotated(let annotation):
                (
                    """
                    annotation_status = 'completed', annotation = ?, tags = ?, model = ?, prompt_hash = ?, tokens = ?,
                    input_tokens = ?, output_tokens = ?, service_tier = ?, annotation_error = NULL, annotation_error_class = NULL
                    """,
                    [
                        annotation.caption, TagList.encode(annotation.tags), annotation.model, annotation.promptHash, annotation.tokens,
                        annotation.inputTokens, annotation.outputTokens, annotation.serviceTier?.rawValue,
                    ]
                )
            case .thumbnailed(let key):
                ("thumbnail_status = 'completed', s3_key_thumbnail = ?, thumbnail_error = NULL, thumbnail_error_class = NULL", [key])
            case .failed(let reason, let failure):
                ("\(task)_status = 'failed', \(task)_error = ?, \(task)_error_class = ?", [reason, failure.rawValue])
            case .released:
                ("\(task)_status = 'pending', \(task)_attempts = MAX(\(task)_attempts - 1, 0)", [])
            case .retry(let reason, _):
                ("\(task)_status = 'pending', \(task)_error = ?", [reason])
            }
        // A task waiting to retry keeps its not-before time in the lease column.
        let leaseUntil: Int64? = if case .retry(_, let notBefore) = outcome.result { Timestamp.milliseconds(notBefore) } else { nil }
        return try await write("record the \(task) of image \(outcome.id)") { db in
            try db.execute(
                sql: """
                    UPDATE images SET \(assignments), \(task)_lease_owner = NULL, \(task)_lease_until = ?, updated_at = ?
                    WHERE id = ? AND \(task)_status = 'processing' AND \(task)_lease_owner = ?
                    """, arguments: arguments + [leaseUntil, stamp, outcome.id, outcome.worker])
            return db.changesCount > 0
        }
    }

    /// When the earliest retry in scope is due.
    public func nextRetry(tasks: Set<TaskKind>, ids: [Int64]?) async throws -> Date? {
        guard !tasks.isEmpty else { return nil }
        let (idScope, arguments) = Self.idScope(ids)
        let parts = tasks.map { "SELECT MIN(\($0)_lease_until) AS t FROM images WHERE \($0)_status = 'pending'\(idScope)" }
        let allArguments = tasks.reduce(StatementArguments()) { result, _ in result + arguments }
        return try await read("find the next retry") { db in
            let ms = try Int64.fetchOne(db, sql: "SELECT MIN(t) FROM (\(parts.joined(separator: " UNION ALL ")))", arguments: allArguments)
            return ms.map { Date(timeIntervalSince1970: TimeInterval($0) / 1000) }
        }
    }

    // MARK: - Helpers

    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as DatabaseError {
            throw MetadataStoreError.query(operation: operation, reason: Self.reason(error))
        }
    }

    /// One SELECT, which SQLite runs in its own implicit transaction: no BEGIN/COMMIT around it
    /// (two statements more than the query itself, on every gallery page).
    private func readOne<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.unsafeRead(body)
        } catch let error as DatabaseError {
            throw MetadataStoreError.query(operation: operation, reason: Self.reason(error))
        }
    }

    func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let error as DatabaseError {
            throw MetadataStoreError.query(operation: operation, reason: Self.reason(error))
        }
    }

    /// The SQLite message without the statement or its bound values (they may hold user data).
    static func reason(_ error: Error) -> String {
        if let error = error as? DatabaseError {
            return error.message ?? "SQLite error \(error.resultCode.rawValue)"
        }
        return String(describing: error)
    }

    private static func idScope(_ ids: [Int64]?) -> (String, StatementArguments) {
        let (sql, values) = SQLFragments.idScope(ids)
        return (sql, StatementArguments(values))
    }

    private static func condition(for filter: RecordFilter) -> (String, StatementArguments) {
        let (sql, values) = SQLFragments.condition(for: filter)
        return (sql, StatementArguments(values))
    }

    /// The records a query selects, decoded straight from the statement's current row: no row
    /// copies, no per-column name or type lookups. The statement is prepared once per connection
    /// (the gallery runs the same few queries on every page, and preparing costs more than running).
    static func fetchRecords(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> [ImageRecord] {
        let statement = try db.cachedStatement(sql: sql)
        let cursor = try Row.fetchCursor(statement, arguments: arguments)
        let row = StatementRow(statement: statement.sqliteStatement)
        var records: [ImageRecord] = []
        while try cursor.next() != nil { records.append(ImageRecord(row: row)) }
        return records
    }
}

/// The current row of a stepping SQLite statement, read as the shared record decoder expects.
private struct StatementRow: RecordRow {
    let statement: SQLiteStatement

    func text(at index: Int) -> String? { String.fromStatement(statement, atUncheckedIndex: CInt(index)) }
    func integer(at index: Int) -> Int64? { Int64.fromStatement(statement, atUncheckedIndex: CInt(index)) }
}

/// GRDB rows read as the shared record decoder expects, through `DatabaseValue` (a concrete
/// type): decoding straight to `String?` instantiates generic metadata on every call, which was
/// a fifth of a gallery page's time.
extension Row: RecordRow {
    func text(at index: Int) -> String? {
        switch (self[index] as DatabaseValue).storage {
        case .string(let text): text
        case .int64(let number): String(number)
        case .double(let number): String(number)
        case .blob(let data): String(decoding: data, as: UTF8.self)
        case .null: nil
        }
    }

    func integer(at index: Int) -> Int64? {
        switch (self[index] as DatabaseValue).storage {
        case .int64(let number): number
        case .double(let number): Int64(exactly: number.rounded(.towardZero))
        case .string(let text): Int64(text)
        case .blob, .null: nil
        }
    }
}

extension StatementArguments {
    /// GRDB arguments from the backend-neutral values.
    init(_ values: [SQLValue]) {
        self.init(
            values.map { value -> (any DatabaseValueConvertible)? in
                switch value {
                case .null: nil
                case .integer(let integer): integer
                case .text(let text): text
                }
            })
    }
}
