import AnnotateAWS
import AnnotateCore
import AnnotateHTTPClient
import AnnotateMetadata
import Foundation

/// `DB_SECRET_ARN`: the database's user and password kept in AWS Secrets Manager (as RDS keeps
/// a managed master password: `{"username": …, "password": …}`, optionally with `host`, `port`
/// and `dbname`), read once at start-up so no password sits in a template, a unit file or the
/// environment. `DB_HOST` and `DB_NAME` say where the database is, as without a secret.
public enum DatabaseSecret {
    /// Why the secret could not be used.
    public struct Failure: Error, CustomStringConvertible, ExitStatusProviding {
        /// What failed, naming the secret (never its value).
        public let description: String
        /// 69 when Secrets Manager cannot be reached, 78 when the secret or the access is wrong.
        public let exitStatus: ExitStatus
    }

    /// `configuration` with the secret's credentials filled in, or as it is without `DB_SECRET_ARN`.
    public static func resolve(_ configuration: Configuration) async throws -> Configuration {
        guard let arn = configuration.databaseSecretARN else { return configuration }
        guard case .mysql(var location) = configuration.database else {
            throw Failure(
                description: "DB_SECRET_ARN is set but the database is not MySQL: set DB_HOST and DB_NAME (or ANNOTATE_DB)",
                exitStatus: .configuration)
        }
        let transport = NIOHTTPTransport(maximumConnections: 1, readTimeout: .seconds(30))
        do {
            let text = try await fetch(arn, settings: configuration.aws, transport: transport)
            await transport.shutdown()
            try apply(text, secret: arn, to: &location)
        } catch {
            await transport.shutdown()
            throw error
        }
        var resolved = configuration
        resolved.database = .mysql(location)
        return resolved
    }

    /// The secret's text (`GetSecretValue`'s `SecretString`).
    static func fetch(_ arn: String, settings: AWSSettings, transport: any HTTPTransport) async throws -> String {
        let credentials = AWSCredentialChain(environment: settings.environment, transport: transport)
        // arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME — the secret's own region.
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        let region = parts.count > 3 && !parts[3].isEmpty ? String(parts[3]) : credentials.region()
        let endpoint = settings.secretsManagerEndpoint ?? URL(string: "https://secretsmanager.\(region).amazonaws.com/")!
        let client = AWSJSONClient(
            endpoint: endpoint, region: region, service: "secretsmanager", targetPrefix: "secretsmanager", jsonVersion: "1.1",
            credentials: credentials, transport: transport)
        do {
            let answer = try await client.call("GetSecretValue", ["SecretId": arn], timeout: .seconds(30))
            guard let text = answer["SecretString"] as? String else {
                throw Failure(
                    description: "the secret \(arn) has no SecretString (a binary secret cannot hold database credentials)",
                    exitStatus: .configuration)
            }
            return text
        } catch let failure as AWSJSONClient.Failure {
            switch failure {
            case .unavailable(let reason):
                throw Failure(description: "cannot read the database secret \(arn): \(reason)", exitStatus: .unavailable)
            case .credentials(let reason):
                throw Failure(description: "cannot read the database secret \(arn): \(reason)", exitStatus: .configuration)
            case .refused(let error, let accessKeyID):
                let advice =
                    switch error.code {
                    case "ResourceNotFoundException": "no such secret; check DB_SECRET_ARN and its region"
                    case "AccessDeniedException":
                        "the access key \(accessKeyID) may not read it; it needs secretsmanager:GetSecretValue on the secret"
                    default: error.credentialAdvice(accessKeyID: accessKeyID) ?? error.description
                    }
                throw Failure(description: "cannot read the database secret \(arn): \(advice)", exitStatus: .configuration)
            }
        }
    }

    /// Fills `location` from the secret's JSON: username and password, and host, port and
    /// database name when the secret has them.
    static func apply(_ text: String, secret arn: String, to location: inout MySQLLocation) throws {
        guard let fields = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            let password = fields["password"] as? String
        else {
            throw Failure(
                description: "the secret \(arn) is not database credentials: expected JSON with username and password", exitStatus: .configuration)
        }
        location.password = Secret(password)
        if let user = fields["username"] as? String, !user.isEmpty { location.user = user }
        if let host = fields["host"] as? String, !host.isEmpty { location.host = host }
        if let port = (fields["port"] as? Int) ?? (fields["port"] as? String).flatMap(Int.init) { location.port = port }
        if let name = fields["dbname"] as? String, !name.isEmpty { location.database = name }
        guard !location.user.isEmpty else {
            throw Failure(description: "no database user: set DB_USER or put username in the secret \(arn)", exitStatus: .configuration)
        }
    }
}
