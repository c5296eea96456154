/// A value that could not be used, before we know where it came from.
public struct ConfigurationProblem: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Where a setting's value came from; decides the exit status of a bad value.
public enum ConfigurationSource: Sendable, Equatable, CustomStringConvertible {
    case flag(String)
    case environment(String)
    case file(path: String, key: String)
    case defaultValue

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
    public let source: ConfigurationSource
    public let message: String

    public init(source: ConfigurationSource, message: String) {
        self.source = source
        self.message = message
    }

    public var description: String {
        source == .defaultValue ? message : "invalid \(source): \(message)"
    }

    /// A bad flag is a usage error (64); a bad environment or file value is a configuration error (78).
    public var exitStatus: ExitStatus {
        if case .flag = source { return .usage }
        return .configuration
    }
}
