import AnnotateCore
import Foundation
import GRDBSQLite

/// `PRAGMA data_version` of one SQLite file, read on a connection of its own that never writes:
/// the value changes whenever another connection (this process's pool or another process)
/// commits, so it tells in a microsecond whether anything changed. The statement is prepared
/// once and read under a lock, with no queue hop: this is read before every page `serve` sends.
/// The handle is opened at the first read, so commands that never ask (upload, process, status)
/// do not pay for it.
final class SQLiteChangeVersion: @unchecked Sendable {
    private let path: String
    private let busyTimeoutMilliseconds: Int32
    private let lock = NSLock()
    private var connection: OpaquePointer?
    private var statement: OpaquePointer?

    /// `waitsForWriters`: a read waits up to 30 s for a writer's lock (a checkpoint, a recovery);
    /// otherwise it fails at once, and its lock is never held for longer than one read.
    init(path: String, waitsForWriters: Bool = true) {
        self.path = path
        busyTimeoutMilliseconds = waitsForWriters ? 30_000 : 0
    }

    /// The current version; only equality between two reads means anything.
    func read() throws -> Int64 {
        try lock.withLock {
            if statement == nil { try open() }
            defer { sqlite3_reset(statement) }
            guard sqlite3_step(statement) == SQLITE_ROW else {
                throw MetadataStoreError.query(operation: "read the change version", reason: String(cString: sqlite3_errmsg(connection)))
            }
            return sqlite3_column_int64(statement, 0)
        }
    }

    /// Opens the handle and prepares the statement; called under the lock.
    private func open() throws {
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
            sqlite3_busy_timeout(connection, busyTimeoutMilliseconds) == SQLITE_OK,
            sqlite3_prepare_v2(connection, "PRAGMA data_version", -1, &statement, nil) == SQLITE_OK
        else {
            let reason = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_finalize(statement)
            sqlite3_close(connection)
            (statement, connection) = (nil, nil)
            throw MetadataStoreError.unavailable(database: "sqlite:\(path)", reason: reason)
        }
    }

    // The handle is this object's alone, so it goes with it.
    deinit {
        sqlite3_finalize(statement)
        sqlite3_close(connection)
    }
}
