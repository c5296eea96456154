/// A value that could not be used, before we know where it came from.
public struct ConfigurationProblem: Error, CustomStringConvertible, Sendable {
    /// What is wrong, without saying where it came from.
    public let message: String
    /// A problem described by `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// Where a setting's value came from; decides the exit status of a bad value.
public enum ConfigurationSource: Sendable, Equatable, CustomStringConvertible {
    case flag(String)
    case environment(String)
    case file(path: String, key: String)
    case defaultValue

    /// Where, as a user would name it (`--db`, `ANNOTATE_DB`, the config file's `db`).
    public var description: String {
        switch self {
        case .flag(let name): "--\(name)"
        case .environment(let name): "environment variable \(name)"
        case .file(let path, let key): "\(key) in \(path)"
        case .defaultValue: "default"
        }
    }
}

/// An unusable setting, naming the setting, where it came from and what to write instead.
public struct ConfigurationError: Error, CustomStringConvertible, ExitStatusProviding, Sendable {
    /// Where the bad value came from.
    public let source: ConfigurationSource
    /// What is wrong with it.
    public let message: String

    /// An error about a value from `source`.
    public init(source: ConfigurationSource, message: String) {
        self.source = source
        self.message = message
    }

    /// The source, then the message.
    public var description: String {
        source == .defaultValue ? message : "invalid \(source): \(message)"
    }

    /// A bad flag is a usage error (64); a bad environment or file value is a configuration error (78).
    public var exitStatus: ExitStatus {
        if case .flag = source { return .usage }
        return .configuration
    }
}
