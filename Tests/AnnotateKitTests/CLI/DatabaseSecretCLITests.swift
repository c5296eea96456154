import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotateMetadata

/// `DB_SECRET_ARN`: the credentials of a real MariaDB kept in a Secrets Manager secret (moto's),
/// read at start-up, as RDS's managed master password is; never printed.
@Suite struct DatabaseSecretCLITests {
    func secret(_ value: String) async throws -> String {
        let answer = try await TestAWS.call(
            "secretsmanager", "secretsmanager.CreateSecret", ["Name": "annotate-t-\(UUID().uuidString.prefix(8))", "SecretString": value],
            jsonVersion: "1.1")
        return try #require(answer["ARN"] as? String)
    }

    @Test func theDatabaseCredentialsComeFromTheSecret() async throws {
        let location = try TestDatabases.freshMariaDB()
        let password = try #require(location.password).reveal()
        let arn = try await secret(#"{"username": "\#(location.user)", "password": "\#(password)", "engine": "mysql"}"#)
        var binary = Binary(home: try Fixtures.temporaryDirectory("db-secret"))
        binary.environment = try TestAWS.environment()
        binary.environment.merge([
            "DB_HOST": location.host, "DB_PORT": String(location.port), "DB_NAME": location.database,
            "DB_SECRET_ARN": arn, "AWS_ENDPOINT_URL_SECRETS_MANAGER": try TestAWS.endpoint().absoluteString,
        ]) { _, new in new }
        let upload = try binary.run(["upload", "--process", "--json", Fixtures.samples.appendingPathComponent("fig-bowl.jpg").path])
        #expect(upload.status == 0, "\(upload.stderr)")
        let status = try #require(try binary.run(["status", "--json"]).json().first)
        #expect(status["total"] as? Int == 1)
        // The rows are in that MariaDB database.
        let rows = try TestDatabases.withConnection(location) { try $0.query("SELECT COUNT(*) AS n FROM images") }
        #expect(rows.first?.integer("n") == 1)

        var missing = binary
        missing.environment["DB_SECRET_ARN"] = arn + "-gone"
        let refused = try missing.run(["status"])
        #expect(refused.status == 78 && refused.stderr.contains("no such secret"), "\(refused.stderr)")
        var wrongShape = binary
        wrongShape.environment["DB_SECRET_ARN"] = try await secret("just a password")
        let unusable = try wrongShape.run(["status"])
        #expect(unusable.status == 78 && unusable.stderr.contains("expected JSON with username and password"), "\(unusable.stderr)")
        for result in [upload, refused, unusable] { #expect(!result.stderr.contains(password) && !result.stdout.contains(password)) }
    }
}
