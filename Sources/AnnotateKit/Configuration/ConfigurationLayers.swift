import AnnotateAnnotators
import AnnotateCore
import AnnotateMetadata
import AnnotatePipeline
import AnnotateWeb
import Foundation
import Logging

/// The three sources of raw setting text, consulted in precedence order.
struct Layers {
    let flags: [ConfigurationKey: String]
    let environment: [String: String]
    var file: [ConfigurationKey: (value: String, path: String)] = [:]
    /// Stands for "the DB_* variables" as the raw `db` value (it holds a password, so it is never
    /// written out as a URL).
    static let legacyDatabaseMarker = "\u{0}DB_*"

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
    func raw(_ key: ConfigurationKey) -> (String, ConfigurationSource)? {
        if let value = flags[key] { return (value, .flag(key.rawValue)) }
        for name in key.environmentNames {
            if let value = environment[name], !value.isEmpty { return (value, .environment(name)) }
        }
        if key == .db, environment["DB_HOST"].map({ !$0.isEmpty }) ?? false {
            // The original deployment's DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD.
            return (Self.legacyDatabaseMarker, .environment("DB_HOST"))
        }
        if let entry = file[key] { return (entry.value, .file(path: entry.path, key: key.rawValue)) }
        return nil
    }

    func value<T>(
        _ key: ConfigurationKey, default fallback: String,
        parse: (String) throws(ConfigurationProblem) -> T
    ) throws -> T {
        let (text, source) = raw(key) ?? (fallback, .defaultValue)
        do {
            return try parse(text)
        } catch {
            throw ConfigurationError(source: source, message: error.message)
        }
    }

    func optionalValue<T>(_ key: ConfigurationKey, parse: (String) throws(ConfigurationProblem) -> T) throws -> T? {
        guard let (text, source) = raw(key) else { return nil }
        do {
            return try parse(text)
        } catch {
            throw ConfigurationError(source: source, message: error.message)
        }
    }

    /// Model, prompt and limits from the layers; keys and endpoints from the environment only.
    func annotationSettings(for annotator: AnnotatorChoice) throws -> AnnotationSettings {
        let modelEnvironment = annotator == .openai ? "OPENAI_MODEL" : "GEMINI_MODEL_NAME"
        var model: String?
        if let flag = flags[.model] {
            model = flag
        } else if let value = environment[modelEnvironment], !value.isEmpty {
            model = value
        } else {
            model = file[.model]?.value
        }
        // Gemini puts the name in the URL path; OpenAI-compatible servers take names like Qwen/Qwen2-VL-7B.
        let pathUnsafe: (Character) -> Bool = { annotator == .gemini && "/?#%".contains($0) }
        if let name = model,
            name.isEmpty || name.contains(where: { $0.isWhitespace })
                || name.replacingOccurrences(of: "models/", with: "").contains(where: pathUnsafe)
        {
            throw ConfigurationError(
                source: flags[.model] != nil ? .flag("model") : .environment(modelEnvironment),
                message: "\(name.debugDescription) is not a model name")
        }
        var prompt = AnnotationPrompt.standard
        if flags[.prompt] != nil && flags[.promptFile] != nil {
            throw ConfigurationError(source: .flag("prompt-file"), message: "give either --prompt or --prompt-file, not both")
        }
        if let (path, source) = raw(.promptFile), flags[.prompt] == nil {
            do {
                prompt = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw ConfigurationError(source: source, message: "cannot read the prompt file \(path): \(FileSystemReason.describe(error))")
            }
        } else if let (text, _) = raw(.prompt) {
            prompt = text
        }
        if prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ConfigurationError(source: raw(.prompt)?.1 ?? raw(.promptFile)?.1 ?? .defaultValue, message: "the prompt is empty")
        }
        let previewSide = try value(.annotateMaxSide, default: "768") { text throws(ConfigurationProblem) in
            guard let side = Int(text), (64...4096).contains(side) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a side length between 64 and 4096 pixels")
            }
            return side
        }
        let rate = try optionalValue(.rate) { text throws(ConfigurationProblem) in
            guard let perMinute = Self.perMinute(text) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a rate; write e.g. 15/min, 2/s or 1000/h")
            }
            return perMinute
        }
        let temperature = try optionalValue(.temperature) { text throws(ConfigurationProblem) in
            guard let t = Double(text), (0...2).contains(t) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a temperature between 0 and 2")
            }
            return t
        }
        let timeout = try value(.requestTimeout, default: "60s") { text throws(ConfigurationProblem) in
            guard let duration = Quantity.duration(text), duration >= .milliseconds(100) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a duration; write e.g. 30s or 2m")
            }
            return duration
        }
        func secret(_ names: [String]) -> Secret? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }.map(Secret.init)
        }
        func endpoint(_ name: String, default fallback: URL) throws -> URL {
            guard let text = environment[name], !text.isEmpty else { return fallback }
            guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text),
                let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil
            else {
                throw ConfigurationError(source: .environment(name), message: "\(text.debugDescription) is not an http(s) URL")
            }
            return url
        }
        return AnnotationSettings(
            model: model, prompt: prompt, previewSide: previewSide, ratePerMinute: rate, temperature: temperature,
            requestTimeout: timeout, geminiKey: secret(["GEMINI_API_KEY", "GOOGLE_API_KEY"]),
            geminiBaseURL: try endpoint("GEMINI_BASE_URL", default: GeminiAnnotator.defaultBaseURL),
            openAIKey: secret(["OPENAI_API_KEY"]),
            openAIBaseURL: try endpoint("OPENAI_BASE_URL", default: OpenAIAnnotator.defaultBaseURL))
    }

    /// `serve`'s settings.
    func webSettings() throws -> WebSettings {
        var web = WebSettings()
        web.host = try value(.host, default: web.host) { text throws(ConfigurationProblem) in
            guard !text.isEmpty, !text.contains(where: { $0.isWhitespace || $0 == "/" }) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a host name or address")
            }
            return text
        }
        web.port = try value(.port, default: String(web.port)) { text throws(ConfigurationProblem) in
            guard let port = Int(text), (0...65535).contains(port) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a port number (0 to 65535; 0 picks a free one)")
            }
            return port
        }
        web.token = try optionalValue(.token) { text throws(ConfigurationProblem) in
            // Short tokens are guessable, and Secret redacts only values of 4 characters or more.
            guard text.count >= 8, !text.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw ConfigurationProblem("the token must be at least 8 characters with no spaces")
            }
            return Secret(text)
        }
        web.maxUploadBytes = try value(.maxUploadMB, default: "100") { text throws(ConfigurationProblem) in
            guard let megabytes = Int64(text), (1...100_000).contains(megabytes) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a size in whole megabytes (1 or more)")
            }
            return megabytes << 20
        }
        web.isPrivate = try value(.isPrivate, default: "false", parse: Self.boolean)
        web.processUploads = try !value(.noProcess, default: "false", parse: Self.boolean)
        web.allowedHosts = try value(.allowedHost, default: "", parse: Self.hostNames)
        return web
    }

    /// Comma-separated host names (repeated flags arrive joined by commas), or `*`.
    static func hostNames(_ text: String) throws(ConfigurationProblem) -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for name in names where name != "*" {
            guard !name.contains(where: { $0.isWhitespace || "/@?#".contains($0) }) else {
                throw ConfigurationProblem("\(name.debugDescription) is not a host name; write a name such as gallery.example.org, or * for any")
            }
        }
        return names
    }

    static func boolean(_ text: String) throws(ConfigurationProblem) -> Bool {
        switch text.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw ConfigurationProblem("\(text.debugDescription) is not true or false")
        }
    }

    /// `15/min`, `2/s`, `1000/h`, or a bare number per minute.
    static func perMinute(_ text: String) -> Double? {
        let parts = text.lowercased().replacingOccurrences(of: " ", with: "").split(separator: "/")
        guard let count = parts.first.flatMap({ Double($0) }), count > 0, count.isFinite, parts.count <= 2 else { return nil }
        switch parts.count == 2 ? String(parts[1]) : "min" {
        case "s", "sec", "second": return count * 60
        case "m", "min", "minute": return count
        case "h", "hour": return count / 60
        default: return nil
        }
    }

    /// `--thumbnail-size WxH`, or `TARGET_WIDTH`/`TARGET_HEIGHT` (the original deployment's names).
    func thumbnailSize() throws -> (width: Int, height: Int) {
        func parseBox(_ text: String) throws(ConfigurationProblem) -> (Int, Int) {
            let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
            guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (1...10_000).contains(w), (1...10_000).contains(h) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a size; write WIDTHxHEIGHT, e.g. 128x128")
            }
            return (w, h)
        }
        if let text = flags[.thumbnailSize] {
            return try value(.thumbnailSize, default: text, parse: parseBox)
        }
        let width = environment["TARGET_WIDTH"].flatMap { $0.isEmpty ? nil : $0 }
        let height = environment["TARGET_HEIGHT"].flatMap { $0.isEmpty ? nil : $0 }
        if width != nil || height != nil {
            func side(_ name: String, _ text: String?) throws -> Int? {
                guard let text else { return nil }
                guard let value = Int(text), (1...10_000).contains(value) else {
                    throw ConfigurationError(source: .environment(name), message: "\(text.debugDescription) is not a pixel size between 1 and 10000")
                }
                return value
            }
            let w = try side("TARGET_WIDTH", width)
            let h = try side("TARGET_HEIGHT", height)
            return (w ?? h!, h ?? w!)
        }
        return try value(.thumbnailSize, default: "128x128", parse: parseBox)
    }
}
