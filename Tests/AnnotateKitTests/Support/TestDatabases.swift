import Foundation
import Logging
import Testing

@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotateMetadata

#if canImport(Glibc)
import Glibc
#endif

/// The backends every `MetadataStore` check runs on.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, mariadb

    var testDescription: String { rawValue }

    /// A new, empty database for one test, and how to open more stores on it (other "processes").
    func makeDatabase() throws -> TestDatabase {
        switch self {
        case .sqlite:
            .sqlite(path: try Fixtures.temporaryDirectory("sqlite").appendingPathComponent("annotate.db").path)
        case .mariadb:
            .mysql(try TestDatabases.freshMariaDB())
        }
    }
}

/// One test's database.
enum TestDatabase: Sendable {
    case sqlite(path: String)
    case mysql(MySQLLocation)

    func open() throws -> any MetadataStore {
        switch self {
        case .sqlite(let path): try SQLiteMetadataStore(path: path)
        case .mysql(let location): try MySQLMetadataStore(location: location, reconnectWindow: .seconds(30), logger: .quiet)
        }
    }

    /// The `--db` value the binary takes.
    var url: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .mysql(let location): TestDatabases.url(location)
        }
    }
}

/// The MariaDB server the suite runs against: `scripts/test-services.sh` starts it, and
/// `make test` exports its URL in ANNOTATE_TEST_MYSQL_URL. Without it the MariaDB tests fail
/// (loudly, never skipped) saying how to provide one.
enum TestDatabases {
    static func server() throws -> MySQLLocation {
        guard let text = ProcessInfo.processInfo.environment["ANNOTATE_TEST_MYSQL_URL"], !text.isEmpty else {
            throw TestServerMissing(
                message: """
                    the MariaDB tests need a server: run `make test` (it starts one), or \
                    `scripts/test-services.sh start && eval "$(scripts/test-services.sh env)"` before `swift test`
                    """)
        }
        return try MySQLLocation(parsing: text)
    }

    /// A new database named `annotate_t_…` on the test server (the test user may create those).
    static func freshMariaDB() throws -> MySQLLocation {
        var location = try server()
        let name = "annotate_t_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try withConnection(location) { connection in
            try connection.command("CREATE DATABASE IF NOT EXISTS \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        }
        location.database = name
        return location
    }

    /// Runs SQL on the test database directly, as an operator's client would.
    static func execute(_ location: MySQLLocation, _ statements: [String]) throws {
        try withConnection(location) { connection in
            for statement in statements { try connection.command(statement) }
        }
    }

    /// Runs `body` on a new connection, again on a new one while the server is away: one test
    /// restarts it while others run.
    static func withConnection<T>(_ location: MySQLLocation, _ body: (MariaDBConnection) throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(30)
        while true {
            do {
                return try body(try MariaDBConnection(location))
            } catch let error as MariaDBError where error.isConnectionLost && Date() < deadline {
                usleep(100_000)
            }
        }
    }

    /// The URL with the password, for `--db`.
    static func url(_ location: MySQLLocation) -> String {
        let password = location.password.map { ":" + ($0.reveal().addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
        return "mysql://\(location.user)\(password)@\(location.host):\(location.port)/\(location.database)"
    }

    /// Stops and starts the test server (through the script that started it).
    static func restartServer() throws {
        try runServicesScript("restart-mariadb")
    }

    /// Runs `scripts/test-services.sh COMMAND`. Spawned and reaped directly: Foundation's Process
    /// can miss the exit of a script that leaves a daemon behind.
    static func runServicesScript(_ command: String) throws {
        let script = Fixtures.repository.appendingPathComponent("scripts/test-services.sh").path
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(script), strdup(command), nil]
        defer { for pointer in argv { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        guard posix_spawn(&pid, script, &actions, nil, argv, environ) == 0 else {
            throw TestServerMissing(message: "cannot run \(script)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw TestServerMissing(message: "scripts/test-services.sh \(command) failed") }
    }
}

struct TestServerMissing: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
