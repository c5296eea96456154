import Foundation

/// A parsed `--store` / `--thumbnail-store` value.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// `file:DIR`: objects as files under a directory.
    case file(directory: String)

    /// Parses `file:DIR` (a bare path is taken as a directory too). Relative paths are made absolute.
    public init(parsing text: String) throws(ConfigurationProblem) {
        if text.hasPrefix("file:") {
            var path = String(text.dropFirst("file:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw ConfigurationProblem("the store URL \(text.debugDescription) has no directory; write file:/path/to/objects") }
            self = .file(directory: Self.absolute(path))
        } else if let colon = text.firstIndex(of: ":"), text[..<colon].count > 1, text[..<colon].allSatisfy({ $0.isLetter || $0.isNumber }) {
            throw ConfigurationProblem("unsupported store URL scheme \(String(text[..<colon]).debugDescription): this build supports file:DIR")
        } else if !text.isEmpty {
            self = .file(directory: Self.absolute(text))
        } else {
            throw ConfigurationProblem("the store URL is empty; write file:/path/to/objects")
        }
    }

    private static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL.path
    }

    public var description: String {
        switch self {
        case .file(let directory): "file:\(directory)"
        }
    }
}
