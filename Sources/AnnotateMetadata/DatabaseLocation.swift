import AnnotateCore

/// A parsed `--db` value.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// `sqlite:PATH`: a SQLite file, created if missing.
    case sqlite(path: String)
    /// `mysql://USER:PASS@HOST[:PORT]/DB`: a MySQL or MariaDB database (which must exist).
    case mysql(MySQLLocation)

    /// Parses `sqlite:PATH` or a `mysql://` (or `mariadb://`) URL; anything else is refused.
    /// Relative SQLite paths are made absolute.
    public init(parsing text: String) throws(ConfigurationProblem) {
        if text.lowercased().hasPrefix("mysql:") || text.lowercased().hasPrefix("mariadb:") {
            self = .mysql(try MySQLLocation(parsing: text.lowercased().hasPrefix("mariadb:") ? "mysql" + text.dropFirst(7) : text))
            return
        }
        self = .sqlite(
            path: try LocationText.path(
                text, scheme: "sqlite", what: "database",
                example: "sqlite:PATH or mysql://USER:PASS@HOST[:PORT]/DB"))
    }

    /// Never shows a password.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .mysql(let location): location.description
        }
    }
}
