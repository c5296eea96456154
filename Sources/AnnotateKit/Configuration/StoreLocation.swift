/// A parsed `--store` / `--thumbnail-store` value.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// `file:DIR`: objects as files under a directory.
    case file(directory: String)

    /// Parses `file:DIR` (a bare path is taken as a directory too). Relative paths are made absolute.
    public init(parsing text: String) throws(ConfigurationProblem) {
        self = .file(directory: try LocationText.path(text, scheme: "file", what: "store", example: "file:/path/to/objects"))
    }

    public var description: String {
        switch self {
        case .file(let directory): "file:\(directory)"
        }
    }
}
