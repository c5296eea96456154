import Foundation

/// A parsed `--db` value.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// `sqlite:PATH`: a SQLite file, created if missing.
    case sqlite(path: String)

    /// Parses `sqlite:PATH` (a bare path is taken as SQLite too). Relative paths are made absolute.
    public init(parsing text: String) throws(ConfigurationProblem) {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw ConfigurationProblem("the SQLite URL \(text.debugDescription) has no path; write sqlite:/path/to/annotate.db") }
            self = .sqlite(path: Self.absolute(path))
        } else if let colon = text.firstIndex(of: ":"), text[..<colon].allSatisfy({ $0.isLetter }), text[..<colon].count > 1 {
            let scheme = text[..<colon]
            throw ConfigurationProblem("unsupported database URL scheme \(String(scheme).debugDescription): this build supports sqlite:PATH")
        } else if !text.isEmpty {
            self = .sqlite(path: Self.absolute(text))
        } else {
            throw ConfigurationProblem("the database URL is empty; write sqlite:/path/to/annotate.db")
        }
    }

    private static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        return URL(fileURLWithPath: expanded).standardizedFileURL.path
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        }
    }
}
