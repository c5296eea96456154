import Foundation

/// One setting as users name it: the long flag and config-file key (`thumbnail-size`) and the
/// environment variables that set it, first match winning. Each subsystem declares its own keys
/// beside the settings they fill; `ConfigurationKey.allCases` in the composition root is the one
/// table of them all (the docs and `--help` are checked against it).
public struct SettingKey: Hashable, Sendable, CustomStringConvertible {
    /// The long flag without its dashes, which is also the config file's key.
    public let rawValue: String
    /// Environment variables that set it, first match wins.
    public let environmentNames: [String]

    /// A key named `rawValue`, set by `environment` too.
    public init(_ rawValue: String, environment: [String] = []) {
        self.rawValue = rawValue
        self.environmentNames = environment
    }

    /// The flag form, `--thumbnail-size`.
    public var description: String { "--\(rawValue)" }

    /// Keys are equal by name.
    public static func == (a: SettingKey, b: SettingKey) -> Bool { a.rawValue == b.rawValue }

    /// Hashes the name.
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}

/// Where settings' raw text comes from, in precedence order: flag, environment, config file.
/// Subsystems read their own settings through it and never see how it is layered.
public protocol SettingsSource {
    /// The text for `key` and where it came from, or nil when nothing sets it.
    func raw(_ key: SettingKey) -> (text: String, source: ConfigurationSource)?
    /// Whether `key` was given as a flag (flags outrank the original deployment's variables).
    func isFlag(_ key: SettingKey) -> Bool
    /// The process environment, for the original deployment's variables (`TARGET_WIDTH`, `DB_HOST`…).
    var environment: [String: String] { get }
}

extension SettingsSource {
    /// `key`'s value parsed, or `fallback` parsed when nothing sets it; a parse failure names
    /// where the text came from.
    public func value<T>(
        _ key: SettingKey, default fallback: String, parse: (String) throws(ConfigurationProblem) -> T
    ) throws(ConfigurationError) -> T {
        let (text, source) = raw(key) ?? (fallback, .defaultValue)
        do {
            return try parse(text)
        } catch {
            throw ConfigurationError(source: source, message: error.message)
        }
    }

    /// `key`'s value parsed, or nil when nothing sets it.
    public func optionalValue<T>(_ key: SettingKey, parse: (String) throws(ConfigurationProblem) -> T) throws(ConfigurationError) -> T? {
        guard let (text, source) = raw(key) else { return nil }
        do {
            return try parse(text)
        } catch {
            throw ConfigurationError(source: source, message: error.message)
        }
    }

    /// A non-empty environment variable's value.
    public func environmentValue(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// Parsers several subsystems share.
public enum SettingParsers {
    /// `true`/`yes`/`1`/`on` or `false`/`no`/`0`/`off`.
    public static func boolean(_ text: String) throws(ConfigurationProblem) -> Bool {
        switch text.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw ConfigurationProblem("\(text.debugDescription) is not true or false")
        }
    }

    /// A whole number from 1 to 100,000.
    public static func positiveInteger(_ text: String) throws(ConfigurationProblem) -> Int {
        guard let value = Int(text), value > 0, value <= 100_000 else {
            throw ConfigurationProblem("\(text.debugDescription) is not a positive whole number")
        }
        return value
    }
}
