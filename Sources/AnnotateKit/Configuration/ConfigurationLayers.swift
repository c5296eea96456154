import AnnotateCore
import Foundation

/// The three sources of raw setting text, consulted in precedence order: flag, environment
/// (the key's own variables), config file.
struct Layers: SettingsSource {
    let flags: [ConfigurationKey: String]
    let environment: [String: String]
    var file: [ConfigurationKey: (value: String, path: String)] = [:]
    /// The config file's `[prices."MODEL"]` tables: model → its lines (read by `PriceSettings`).
    var priceEntries: [String: [(key: String, value: String, line: Int, path: String)]] = [:]
    init(flags: [ConfigurationKey: String], environment: [String: String]) {
        self.flags = flags
        self.environment = environment
    }

    mutating func loadFile(_ path: String, source: ConfigurationSource) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(source: source, message: "cannot read the config file \(path): \(FileSystemReason.describe(error))")
        }
        for entry in try TOMLSubset.parse(text, path: path) {
            if let model = entry.table {
                priceEntries[model, default: []].append((entry.key, entry.value, entry.line, path))
                continue
            }
            guard let key = ConfigurationKey(rawValue: entry.key) else {
                throw ConfigurationError(
                    source: .file(path: path, key: entry.key),
                    message:
                        "unknown setting; known settings: \(ConfigurationKey.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            file[key] = (entry.value, path)
        }
    }

    /// The raw text for `key` and where it came from, or nil when no source sets it.
    func raw(_ key: ConfigurationKey) -> (text: String, source: ConfigurationSource)? {
        if let value = flags[key] { return (value, .flag(key.rawValue)) }
        for name in key.environmentNames {
            if let value = environment[name], !value.isEmpty { return (value, .environment(name)) }
        }
        if let entry = file[key] { return (entry.value, .file(path: entry.path, key: key.rawValue)) }
        return nil
    }

    func isFlag(_ key: ConfigurationKey) -> Bool { flags[key] != nil }
}
