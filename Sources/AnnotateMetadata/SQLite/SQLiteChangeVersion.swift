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
    private let lock = NSLock()
    private var connection: OpaquePointer?
    private var statement: OpaquePointer?

    /// How long a read waits for a writer's lock.
    static let busyTimeoutMilliseconds: Int32 = 30_000

    init(path: String) {
        self.path = path
    }

    /// The current version; only equality between two reads means anything. Not `waiting`, a
    /// busy database is an error at once rather than after the busy timeout.
    func read(waiting: Bool = true) throws -> Int64 {
        try lock.withLock {
            if statement == nil { try open() }
            defer { sqlite3_reset(statement) }
            sqlite3_busy_timeout(connection, waiting ? Self.busyTimeoutMilliseconds : 0)
            guard sqlite3_step(statement) == SQLITE_ROW else {
                throw MetadataStoreError.query(operation: "read the change version", reason: String(cString: sqlite3_errmsg(connection)))
            }
            return sqlite3_column_int64(statement, 0)
        }
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
    }

    // The handle is this object's alone, so it goes with it.
    deinit {
        sqlite3_finalize(statement)
        sqlite3_close(connection)
    }
}
