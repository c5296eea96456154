import AnnotateCore
import Foundation
import GRDBSQLite

/// `PRAGMA data_version` of one SQLite file, read on a connection of its own that never writes:
/// the value changes whenever another connection (this process's pool or another process)
/// commits, so it tells in a microsecond whether anything changed. The statement is prepared
/// once and read under a lock, with no queue hop: this is read before every page `serve` sends.
/// The handle is opened at the first read, so commands that never ask (upload, process, status)
/// do not pay for it.
///
/// The value is a counter of that one connection (it steps when the connection notices a
/// commit), so two connections' values cannot be compared: a page kept at one connection's
/// value and checked against another's can match while the data has changed. That is why the
/// waiting and the immediate reads are two ways of reading this one connection.
final class SQLiteChangeVersion: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    private var connection: OpaquePointer?
    private var statement: OpaquePointer?
    /// Whether the handle's busy timeout is currently the waiting one.
    private var waitsForWriters = true

    /// How long a waiting read waits for a writer's lock (a checkpoint, a recovery).
    private static let busyTimeoutMilliseconds: Int32 = 30_000

    init(path: String) {
        self.path = path
    }

    /// The current version, waiting up to 30 s for a writer's lock; only equality between two
    /// reads means anything.
    func read() throws -> Int64 {
        try lock.withLock { try step(waitingForWriters: true) }
    }

    /// The current version if it can be had at once: nil while another thread is reading it or
    /// a writer's lock keeps it out, so the caller is never held up.
    func readImmediately() -> Int64? {
        guard lock.try() else { return nil }
        defer { lock.unlock() }
        return try? step(waitingForWriters: false)
    }

    /// One read of the prepared statement; called under the lock.
    private func step(waitingForWriters: Bool) throws -> Int64 {
        if statement == nil { try open() }
        if waitingForWriters != waitsForWriters {
            sqlite3_busy_timeout(connection, waitingForWriters ? Self.busyTimeoutMilliseconds : 0)
            waitsForWriters = waitingForWriters
        }
        defer { sqlite3_reset(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else {
            throw MetadataStoreError.query(operation: "read the change version", reason: String(cString: sqlite3_errmsg(connection)))
        }
        return sqlite3_column_int64(statement, 0)
    }

    /// Opens the handle and prepares the statement; called under the lock.
    private func open() throws {
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
            sqlite3_busy_timeout(connection, Self.busyTimeoutMilliseconds) == SQLITE_OK,
            sqlite3_prepare_v2(connection, "PRAGMA data_version", -1, &statement, nil) == SQLITE_OK
        else {
            let reason = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_finalize(statement)
            sqlite3_close(connection)
            (statement, connection) = (nil, nil)
            throw MetadataStoreError.unavailable(database: "sqlite:\(path)", reason: reason)
        }
        waitsForWriters = true
    }

    // The handle is this object's alone, so it goes with it.
    deinit {
        sqlite3_finalize(statement)
        sqlite3_close(connection)
    }
}
