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
/// waiting and the immediate reads are two ways of reading this one connection. The connection
/// never waits inside SQLite (busy timeout 0), so the lock is only ever held for one step; a
/// read that is to wait for a writer's lock waits between steps, off the lock and off its thread.
final class SQLiteChangeVersion: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    private var connection: OpaquePointer?
    private var statement: OpaquePointer?

    /// How long `read()` waits for a writer's lock (a checkpoint, a recovery) before failing.
    static let patience: Duration = .seconds(30)

    init(path: String) {
        self.path = path
    }

    /// The current version, waiting up to `patience` for a writer's lock; only equality between
    /// two reads means anything.
    func read() async throws -> Int64 {
        let deadline = ContinuousClock.now + Self.patience
        while true {
            if let version = try lock.withLock({ try step() }) { return version }
            guard ContinuousClock.now < deadline else {
                throw MetadataStoreError.query(
                    operation: "read the change version", reason: "the database stayed locked for \(Quantity.format(Self.patience))")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The current version if it can be had at once: nil while a writer's lock keeps it out
    /// (or the file cannot be read), so an event loop asking is never held up.
    func readImmediately() -> Int64? {
        lock.withLock { try? step() } ?? nil
    }

    /// One step of the prepared statement, called under the lock: nil when a lock kept it out.
    private func step() throws -> Int64? {
        if statement == nil { try open() }
        defer { sqlite3_reset(statement) }
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return sqlite3_column_int64(statement, 0)
        case SQLITE_BUSY, SQLITE_LOCKED: return nil
        default:
            throw MetadataStoreError.query(operation: "read the change version", reason: String(cString: sqlite3_errmsg(connection)))
        }
    }

    /// Opens the handle and prepares the statement; called under the lock.
    private func open() throws {
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
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
