/// A parsed `--db` value.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// `sqlite:PATH`: a SQLite file, created if missing.
    case sqlite(path: String)

    /// Parses `sqlite:PATH` (a bare path is taken as SQLite too). Relative paths are made absolute.
    public init(parsing text: String) throws(ConfigurationProblem) {
        self = .sqlite(path: try LocationText.path(text, scheme: "sqlite", what: "database", example: "sqlite:/path/to/annotate.db"))
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        }
    }
}
