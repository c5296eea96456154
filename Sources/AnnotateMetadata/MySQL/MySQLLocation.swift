import AnnotateCore
import Foundation

/// A parsed `mysql://USER:PASS@HOST[:PORT]/DB[?ssl=required|verify&ssl-ca=FILE]` URL. Its
/// description names host, port, user and database but never the password.
public struct MySQLLocation: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is encrypted.
    public enum TLS: String, Sendable, Equatable {
        /// Plain TCP (the server's default).
        case off
        /// TLS required, the certificate not checked.
        case required
        /// TLS required and the certificate checked against `ssl-ca` (or the system's roots).
        case verify
    }

    /// The server's host name or address.
    public var host: String
    /// The server's port.
    public var port: Int
    /// The user to connect as.
    public var user: String
    /// The user's password, if any.
    public var password: Secret?
    /// The database (schema) name.
    public var database: String
    /// Whether and how TLS is used.
    public var tls: TLS
    /// The CA bundle that verifies the server (`ssl-ca`).
    public var certificateAuthorityFile: String?

    /// MySQL's port.
    public static let defaultPort = 3306

    /// A location from its parts.
    public init(
        host: String, port: Int = MySQLLocation.defaultPort, user: String, password: Secret?, database: String,
        tls: TLS = .off, certificateAuthorityFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
        self.certificateAuthorityFile = certificateAuthorityFile
    }

    /// Parses the URL. Messages never quote the text: it may hold the password.
    public init(parsing text: String) throws(ConfigurationProblem) {
        let form = "mysql://USER:PASS@HOST[:PORT]/DB"
        guard let components = URLComponents(string: text), components.scheme?.lowercased() == "mysql" else {
            throw ConfigurationProblem("the database URL is not of the form \(form) (percent-encode special characters in the password)")
        }
        guard let host = components.host, !host.isEmpty else { throw ConfigurationProblem("the MySQL URL has no host; write \(form)") }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw ConfigurationProblem("the MySQL URL has no user; write \(form)")
        }
        let database = String(components.path.drop(while: { $0 == "/" })).removingPercentEncoding ?? ""
        guard !database.isEmpty, !database.contains("/") else {
            throw ConfigurationProblem("the MySQL URL names no database; write \(form)")
        }
        var tls = TLS.off
        var caFile: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "ssl", "tls", "ssl-mode":
                guard let value = item.value.flatMap({ TLS(rawValue: $0.lowercased()) }) else {
                    throw ConfigurationProblem("the MySQL URL's \(item.name) must be off, required or verify")
                }
                tls = value
            case "ssl-ca":
                caFile = item.value
            default:
                throw ConfigurationProblem("the MySQL URL has an unknown parameter \(item.name.debugDescription); known: ssl, ssl-ca")
            }
        }
        if caFile != nil, tls == .off { tls = .verify }
        self.init(
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host,
            port: components.port ?? Self.defaultPort, user: user,
            password: components.password?.removingPercentEncoding.map(Secret.init),
            database: database, tls: tls, certificateAuthorityFile: caFile)
    }

    /// The location the original deployment's `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USER` and
    /// `DB_PASSWORD` describe, or nil when `DB_HOST` is unset.
    public static func fromLegacyEnvironment(_ environment: [String: String]) throws(ConfigurationProblem) -> MySQLLocation? {
        guard let host = environment["DB_HOST"], !host.isEmpty else { return nil }
        var port = defaultPort
        if let text = environment["DB_PORT"], !text.isEmpty {
            guard let value = Int(text), (1...65535).contains(value) else {
                throw ConfigurationProblem("DB_PORT \(text.debugDescription) is not a port number")
            }
            port = value
        }
        guard let database = environment["DB_NAME"], !database.isEmpty else { throw ConfigurationProblem("DB_HOST is set but DB_NAME is not") }
        // With DB_SECRET_ARN the user may come from the secret, read at start-up.
        let fromSecret = !(environment["DB_SECRET_ARN"] ?? "").isEmpty
        let user = environment["DB_USER"] ?? ""
        guard !user.isEmpty || fromSecret else { throw ConfigurationProblem("DB_HOST is set but DB_USER is not") }
        return MySQLLocation(host: host, port: port, user: user, password: environment["DB_PASSWORD"].map(Secret.init), database: database)
    }

    /// The URL without its password.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let query = tls == .off ? "" : "?ssl=\(tls.rawValue)"
        return "mysql://\(user)@\(shownHost):\(port)/\(database)\(query)"
    }
}
