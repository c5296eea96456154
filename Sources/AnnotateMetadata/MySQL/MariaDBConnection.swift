import CMariaDB
import Foundation

/// One result row, its columns read as text (integers and dates arrive in their text form).
struct SQLRow: RecordRow {
    let columns: [String: Int]
    let values: [String?]

    func text(_ column: String) -> String? {
        columns[column].flatMap { values[$0] }
    }

    func integer(_ column: String) -> Int64? {
        text(column).flatMap { Int64($0) }
    }

    func text(at index: Int) -> String? {
        index < values.count ? values[index] : nil
    }

    func integer(at index: Int) -> Int64? {
        text(at: index).flatMap { Int64($0) }
    }
}

/// A failure reported by the server or the client library.
struct MariaDBError: Error, CustomStringConvertible {
    let code: UInt32
    let message: String

    var description: String { message }

    /// The connection is gone (dropped, killed, server restarting): reconnect and try again.
    var isConnectionLost: Bool {
        // 2002/2003 cannot connect, 2006 gone away, 2013 lost during query, 2055 lost (extended),
        // 1053 server shutting down, 1927 connection killed, 4031 disconnected for inactivity.
        [2002, 2003, 2006, 2013, 2055, 1053, 1927, 4031].contains(code)
    }

    /// Another transaction won a lock: roll back and run the whole transaction again.
    var isTransactionConflict: Bool { code == 1213 || code == 1205 }

    /// The server refused these credentials or this database: a setting to fix, not a fault to wait out.
    var isRefusal: Bool { [1044, 1045, 1049, 1698, 2026].contains(code) }

    /// What to change, for a refusal.
    var advice: String {
        switch code {
        case 1045, 1698: "check the user and password in --db, ANNOTATE_DB or DB_USER/DB_PASSWORD"
        case 1044: "grant the user privileges on the database"
        case 1049: "create the database first (CREATE DATABASE … CHARACTER SET utf8mb4) or fix its name"
        case 2026: "check the server's TLS set-up and the URL's ssl= and ssl-ca= parameters"
        default: "check the database settings"
        }
    }
}

/// One connection to MySQL/MariaDB through Connector/C, with its prepared statements. Blocking:
/// `MariaDBPool` runs it off the Swift cooperative pool and lends it to one caller at a time,
/// which is why it may cross tasks (`@unchecked Sendable`).
final class MariaDBConnection: @unchecked Sendable {
    private let handle: UnsafeMutablePointer<MYSQL>
    private var statements: [String: UnsafeMutablePointer<MYSQL_STMT>] = [:]
    /// Statements with id lists vary in length; past this many the cache starts over.
    private static let statementCacheLimit = 200

    /// Connector/C's global initialisation is not thread-safe: run it once, before any connection.
    private static let libraryReady: Bool = mysql_server_init(0, nil, nil) == 0

    /// Connects, sets the session to UTC, utf8mb4 and READ COMMITTED.
    init(_ location: MySQLLocation, connectTimeout: Int = 5, readTimeout: Int = 60) throws(MariaDBError) {
        guard Self.libraryReady, let handle = mysql_init(nil) else {
            throw MariaDBError(code: 2008, message: "the MariaDB client library could not be initialised (out of memory?)")
        }
        self.handle = handle
        var connect = UInt32(connectTimeout), read = UInt32(readTimeout), write = UInt32(readTimeout)
        mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &connect)
        mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &read)
        mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &write)
        mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        if location.tls != .off {
            var yes: my_bool = 1
            mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &yes)
            var verify: my_bool = location.tls == .verify ? 1 : 0
            mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify)
            if let ca = location.certificateAuthorityFile { mysql_options(handle, MYSQL_OPT_SSL_CA, ca) }
        }
        let connected = mysql_real_connect(
            handle, location.host, location.user, location.password?.reveal(), location.database,
            UInt32(location.port), nil, UInt(CLIENT_FOUND_ROWS))
        // (Once `handle` is stored, a throw runs deinit, which closes it.)
        guard connected != nil else { throw Self.error(of: handle) }
        try command("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        try command("SET time_zone = '+00:00', innodb_lock_wait_timeout = 20")
    }

    deinit {
        for statement in statements.values { mysql_stmt_close(statement) }
        mysql_close(handle)
    }

    /// Runs a statement that takes no arguments and returns no rows (transaction control, SET).
    func command(_ sql: String) throws(MariaDBError) {
        guard mysql_real_query(handle, sql, UInt(sql.utf8.count)) == 0 else { throw Self.error(of: handle) }
        if let result = mysql_store_result(handle) { mysql_free_result(result) }
    }

    /// Runs a prepared statement; returns the rows it matched (CLIENT_FOUND_ROWS) or inserted.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue] = []) throws(MariaDBError) -> Int {
        let statement = try prepared(sql)
        try run(statement, arguments)
        defer { mysql_stmt_free_result(statement) }
        return Int(mysql_stmt_affected_rows(statement))
    }

    /// The id the last INSERT on this connection generated.
    var lastInsertID: Int64 { Int64(mysql_insert_id(handle)) }

    /// Runs a prepared query and reads every row.
    func query(_ sql: String, _ arguments: [SQLValue] = []) throws(MariaDBError) -> [SQLRow] {
        let statement = try prepared(sql)
        try run(statement, arguments)
        defer { mysql_stmt_free_result(statement) }
        guard let metadata = mysql_stmt_result_metadata(statement) else { return [] }
        let count = Int(mysql_num_fields(metadata))
        var columns: [String: Int] = [:]
        if let fields = mysql_fetch_fields(metadata) {
            for index in 0..<count { columns[String(cString: fields[index].name)] = index }
        }
        mysql_free_result(metadata)
        return try ResultBuffers(count: count).fetchAll(statement, connection: self).map { SQLRow(columns: columns, values: $0) }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try command("START TRANSACTION")
        do {
            let result = try body()
            try command("COMMIT")
            return result
        } catch {
            try? command("ROLLBACK")
            throw error
        }
    }

    // MARK: - Statements

    private func prepared(_ sql: String) throws(MariaDBError) -> UnsafeMutablePointer<MYSQL_STMT> {
        if let statement = statements[sql] { return statement }
        if statements.count >= Self.statementCacheLimit {
            for statement in statements.values { mysql_stmt_close(statement) }
            statements.removeAll()
        }
        guard let statement = mysql_stmt_init(handle) else { throw Self.error(of: handle) }
        guard mysql_stmt_prepare(statement, sql, UInt(sql.utf8.count)) == 0 else {
            let error = statementError(statement)
            mysql_stmt_close(statement)
            throw error
        }
        statements[sql] = statement
        return statement
    }

    private func run(_ statement: UnsafeMutablePointer<MYSQL_STMT>, _ arguments: [SQLValue]) throws(MariaDBError) {
        let expected = Int(mysql_stmt_param_count(statement))
        guard expected == arguments.count else {
            throw MariaDBError(code: 2031, message: "internal error: \(arguments.count) arguments for \(expected) placeholders")
        }
        var parameters = ParameterBuffers(arguments)
        defer { parameters.deallocate() }
        guard parameters.bind(to: statement) == 0 else { throw statementError(statement) }
        guard mysql_stmt_execute(statement) == 0 else { throw statementError(statement) }
    }

    fileprivate func statementError(_ statement: UnsafeMutablePointer<MYSQL_STMT>) -> MariaDBError {
        let code = mysql_stmt_errno(statement)
        // Some failures are recorded on the connection rather than the statement.
        guard code != 0 else { return Self.error(of: handle) }
        return MariaDBError(code: code, message: String(cString: mysql_stmt_error(statement)))
    }

    private static func error(of handle: UnsafeMutablePointer<MYSQL>) -> MariaDBError {
        let code = mysql_errno(handle)
        let message = String(cString: mysql_error(handle))
        return MariaDBError(code: code, message: message.isEmpty ? "the database client failed without a reason (error \(code))" : message)
    }
}

/// The argument buffers of one execution; they must live until `mysql_stmt_execute` returns.
private struct ParameterBuffers {
    private var binds: [MYSQL_BIND]
    private var allocations: [UnsafeMutableRawPointer] = []

    init(_ arguments: [SQLValue]) {
        binds = Array(repeating: MYSQL_BIND(), count: arguments.count)
        for (index, argument) in arguments.enumerated() {
            switch argument {
            case .null:
                binds[index].buffer_type = MYSQL_TYPE_NULL
            case .integer(let value):
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                buffer.storeBytes(of: value, as: Int64.self)
                allocations.append(buffer)
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].buffer = buffer
            case .text(let value):
                let bytes = Array(value.utf8)
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
                buffer.copyMemory(from: bytes, byteCount: bytes.count)
                let length = UnsafeMutablePointer<UInt>.allocate(capacity: 1)
                length.initialize(to: UInt(bytes.count))
                allocations += [buffer, UnsafeMutableRawPointer(length)]
                binds[index].buffer_type = MYSQL_TYPE_STRING
                binds[index].buffer = buffer
                binds[index].buffer_length = UInt(bytes.count)
                binds[index].length = length
            }
        }
    }

    /// Connector/C copies the bind array itself; the buffers it points to stay ours.
    mutating func bind(to statement: UnsafeMutablePointer<MYSQL_STMT>) -> my_bool {
        binds.isEmpty ? 0 : binds.withUnsafeMutableBufferPointer { mysql_stmt_bind_param(statement, $0.baseAddress) }
    }

    func deallocate() {
        for allocation in allocations { allocation.deallocate() }
    }
}

/// Result columns fetched as text into fixed buffers; a longer value is read again at its size.
private struct ResultBuffers {
    static let capacity = 256
    let count: Int

    func fetchAll(_ statement: UnsafeMutablePointer<MYSQL_STMT>, connection: MariaDBConnection) throws(MariaDBError) -> [[String?]] {
        guard count > 0 else { return [] }
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: count * Self.capacity)
        let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: count)
        let nulls = UnsafeMutablePointer<my_bool>.allocate(capacity: count)
        let errors = UnsafeMutablePointer<my_bool>.allocate(capacity: count)
        defer {
            storage.deallocate()
            lengths.deallocate()
            nulls.deallocate()
            errors.deallocate()
        }
        var binds = Array(repeating: MYSQL_BIND(), count: count)
        for index in 0..<count {
            binds[index].buffer_type = MYSQL_TYPE_STRING
            binds[index].buffer = UnsafeMutableRawPointer(storage + index * Self.capacity)
            binds[index].buffer_length = UInt(Self.capacity)
            binds[index].length = lengths + index
            binds[index].is_null = nulls + index
            binds[index].error = errors + index
        }
        guard binds.withUnsafeMutableBufferPointer({ mysql_stmt_bind_result(statement, $0.baseAddress) }) == 0 else {
            throw connection.statementError(statement)
        }
        var rows: [[String?]] = []
        while true {
            let status = mysql_stmt_fetch(statement)
            if status == MYSQL_NO_DATA { return rows }
            guard status == 0 || status == MYSQL_DATA_TRUNCATED else { throw connection.statementError(statement) }
            var row: [String?] = []
            row.reserveCapacity(count)
            for index in 0..<count {
                if nulls[index] != 0 {
                    row.append(nil)
                } else if Int(lengths[index]) <= Self.capacity {
                    row.append(
                        String(decoding: UnsafeBufferPointer(start: storage + index * Self.capacity, count: Int(lengths[index])), as: UTF8.self))
                } else {
                    row.append(try Self.fetchLong(statement, column: index, length: Int(lengths[index]), connection: connection))
                }
            }
            rows.append(row)
        }
    }

    private static func fetchLong(
        _ statement: UnsafeMutablePointer<MYSQL_STMT>, column: Int, length: Int,
        connection: MariaDBConnection
    ) throws(MariaDBError) -> String {
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: length)
        defer { buffer.deallocate() }
        var actual: UInt = 0
        var bind = MYSQL_BIND()
        bind.buffer_type = MYSQL_TYPE_STRING
        bind.buffer = UnsafeMutableRawPointer(buffer)
        bind.buffer_length = UInt(length)
        try withUnsafeMutablePointer(to: &actual) { actualPointer throws(MariaDBError) in
            bind.length = actualPointer
            guard mysql_stmt_fetch_column(statement, &bind, UInt32(column), 0) == 0 else { throw connection.statementError(statement) }
        }
        return String(decoding: UnsafeBufferPointer(start: buffer, count: min(Int(actual), length)), as: UTF8.self)
    }
}
