import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotateMetadata

extension MariaDBServerSuites {
    /// What only the MySQL/MariaDB backend has: its URL, migrations without transactional DDL, a
    /// connection pool that survives the server going away, and refusals that name host and user.
    @Suite struct MySQLMetadataStoreTests {
        @Test func parsesURLsAndTheOriginalEnvironment() throws {
            let location = try MySQLLocation(parsing: "mysql://app:p%40ss%3Aw0rd@db.internal:3307/images?ssl=verify")
            #expect(location.host == "db.internal" && location.port == 3307 && location.user == "app" && location.database == "images")
            #expect(location.password?.reveal() == "p@ss:w0rd")
            #expect(location.tls == .verify)
            #expect(location.description == "mysql://app@db.internal:3307/images?ssl=verify")
            #expect(try DatabaseLocation(parsing: "mysql://u@h/d") == .mysql(MySQLLocation(host: "h", user: "u", password: nil, database: "d")))
            for bad in ["mysql://h/d", "mysql://u:secret-pw@/d", "mysql://u:secret-pw@h", "mysql://u:secret-pw@h/d?ssl=maybe"] {
                #expect(throws: ConfigurationProblem.self) { try MySQLLocation(parsing: bad) }
                do { _ = try MySQLLocation(parsing: bad) } catch { #expect(!error.message.contains("secret-pw")) }
            }
            let environment = ["DB_HOST": "rds.example", "DB_PORT": "3306", "DB_NAME": "annotations", "DB_USER": "admin", "DB_PASSWORD": "hunter2!"]
            let configuration = try Configuration.resolve(flags: [:], environment: environment)
            #expect(
                configuration.database
                    == .mysql(MySQLLocation(host: "rds.example", user: "admin", password: Secret("hunter2!"), database: "annotations")))
            #expect(!"\(configuration.database)".contains("hunter2"))
            // ANNOTATE_DB wins over the original variables.
            let explicit = try Configuration.resolve(flags: [:], environment: environment.merging(["ANNOTATE_DB": "sqlite:/tmp/x.db"]) { $1 })
            #expect(explicit.database == .sqlite(path: "/tmp/x.db"))
            #expect(throws: ConfigurationError.self) { try Configuration.resolve(flags: [:], environment: ["DB_HOST": "h", "DB_USER": "u"]) }
        }

        @Test func concurrentOpensMigrateOnce() async throws {
            let location = try TestDatabases.freshMariaDB()
            let stores = try await withThrowingTaskGroup(of: MySQLMetadataStore.self) { group in
                for _ in 0..<6 { group.addTask { try MySQLMetadataStore(location: location) } }
                return try await group.reduce(into: [MySQLMetadataStore]()) { $0.append($1) }
            }
            #expect(try await stores[0].appliedMigrations() == Schema.mysql.map(\.name))
            #expect(Schema.mysql.map(\.name) == Schema.sqlite.map(\.name), "both backends carry the same named migrations")
        }

        @Test func aMigrationKilledAfterItsDDLIsFinishedByTheNextOpen() async throws {
            // MySQL DDL commits itself: a run SIGKILLed between an ALTER and the row recording its
            // migration leaves the ALTER applied but the migration unrecorded (seen in CI).
            let location = try TestDatabases.freshMariaDB()
            let store = try MySQLMetadataStore(location: location)
            guard case .inserted(let id) = try await store.insert(MetadataStoreConformance.image(1), at: Date()) else {
                Issue.record("insert failed")
                return
            }
            try TestDatabases.execute(
                location,
                ["DELETE FROM schema_migrations WHERE name IN ('0002-pipeline-columns', '0003-lease-owner-indexes', '0005-failure-indexes')"])
            let reopened = try MySQLMetadataStore(location: location)
            #expect(try await reopened.appliedMigrations() == Schema.mysql.map(\.name))
            #expect(try await reopened.record(id: id)?.filename == MetadataStoreConformance.image(1).filename)
        }

        @Test func migratesTheOriginalDeploymentsTableInPlace() async throws {
            let location = try TestDatabases.freshMariaDB()
            try TestDatabases.execute(
                location,
                [
                    Schema.mysql[0].statements[0],
                    """
                    INSERT INTO images (filename, s3_key_original, s3_key_thumbnail, annotation, annotation_status, thumbnail_status, uploaded_at)
                        VALUES ('old.jpg', 'uploads/old.jpg', 'thumbnails/old.jpg', 'An old caption.', 'completed', 'completed', '2023-05-01 10:00:00')
                    """,
                    "INSERT INTO images (filename, s3_key_original) VALUES ('waiting.jpg', 'uploads/waiting.jpg')",
                    "INSERT INTO images (filename, s3_key_original, annotation_status, thumbnail_status) VALUES ('nulls.jpg', 'uploads/nulls.jpg', NULL, NULL)",
                ])
            let store = try MySQLMetadataStore(location: location)
            let records = try await store.records(after: nil, limit: 10, filter: .all)
            #expect(records.map(\.filename) == ["old.jpg", "waiting.jpg", "nulls.jpg"])
            #expect(records[0].annotation == "An old caption." && records[0].annotationStatus == .completed)
            #expect(records[1].annotationStatus == .pending && records[2].thumbnailStatus == .pending)
            #expect(records.allSatisfy { $0.sha256 == nil })
            try await MetadataStoreConformance.summaryMatchesTheRecords(store)
            let claimed = try await store.claim(MetadataStoreConformance.request("w"), at: Date())
            #expect(claimed.map(\.record.filename) == ["waiting.jpg", "nulls.jpg"])
        }

        @Test func refusalsNameHostAndUserButNeverThePassword() throws {
            var wrong = try TestDatabases.server()
            wrong.password = Secret("not-the-password-42")
            do {
                _ = try MySQLMetadataStore(location: wrong)
                Issue.record("a wrong password must be refused")
            } catch let error as MetadataStoreError {
                let message = "\(error)"
                #expect(message.contains("annotate@127.0.0.1") && message.contains("Access denied"))
                #expect(!message.contains("not-the-password-42"))
                #expect(error.exitStatus == .configuration)
            }
            var unreachable = try TestDatabases.server()
            unreachable.port = 1  // nothing listens there
            do {
                _ = try MySQLMetadataStore(location: unreachable)
                Issue.record("an unreachable server must fail")
            } catch let error as MetadataStoreError {
                #expect("\(error)".contains("mysql://annotate@127.0.0.1:1/"))
                #expect(!"\(error)".contains(unreachable.password?.reveal() ?? "-"))
                #expect(error.exitStatus == .unavailable)
            }
        }

        @Test func aKilledConnectionIsReplacedTransparently() async throws {
            let location = try TestDatabases.freshMariaDB()
            let store = try MySQLMetadataStore(location: location, connections: 2)
            try await MetadataStoreConformance.insert(store, count: 3)
            // Kill every connection this test user holds on this database, as a failover or proxy would.
            let killed = try TestDatabases.withConnection(location) { admin in
                let victims = try admin.query(
                    "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()",
                    [.text(location.database)])
                for victim in victims { try admin.command("KILL CONNECTION \(victim.integer("id")!)") }
                return victims.count
            }
            #expect(killed > 0)
            #expect(try await store.summary().total == 3)
            #expect(try await store.claim(MetadataStoreConformance.request("w"), at: Date()).count == 3)
        }

        @Test func tlsIsRequiredOrVerifiedWhenAsked() throws {
            let server = try TestDatabases.server()
            let authority = try #require(ProcessInfo.processInfo.environment["ANNOTATE_TEST_MYSQL_CA"], "scripts/test-services.sh env sets it")
            func cipher(_ location: MySQLLocation) throws -> String? {
                try MariaDBConnection(location).query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").first?.text("Value")
            }
            var plain = server
            plain.tls = .off
            var required = server
            required.tls = .required
            var verified = server
            verified.tls = .verify
            verified.certificateAuthorityFile = authority
            #expect(try cipher(plain)?.isEmpty ?? true)
            #expect(!(try cipher(required) ?? "").isEmpty)
            #expect(!(try cipher(verified) ?? "").isEmpty)
            #expect(try MySQLLocation(parsing: TestDatabases.url(server) + "?ssl-ca=\(authority)").tls == .verify)

            // A certificate the named authority did not sign is refused (exit 78), not used.
            // (scripts/test-services.sh makes other-ca.pem beside ca.pem: a CA that signed nothing.)
            verified.certificateAuthorityFile =
                URL(fileURLWithPath: authority).deletingLastPathComponent()
                .appendingPathComponent("other-ca.pem").path
            do {
                _ = try MySQLMetadataStore(location: verified)
                Issue.record("a server certificate from another authority must be refused")
            } catch let error as MetadataStoreError {
                #expect(error.exitStatus == .configuration, "\(error)")
                #expect("\(error)".contains("?ssl=verify"))
            }
        }
    }
}
