import AnnotateCore
import Foundation

extension AnnotationSettings {
    /// The names this subsystem's settings go by (`ConfigurationKey` lists them all).
    public enum Keys {
        /// `--model` (or `GEMINI_MODEL_NAME` / `OPENAI_MODEL`, by annotator).
        public static let model = SettingKey("model")
        /// `--prompt` / `ANNOTATE_PROMPT`.
        public static let prompt = SettingKey("prompt", environment: ["ANNOTATE_PROMPT"])
        /// `--prompt-file`.
        public static let promptFile = SettingKey("prompt-file")
        /// `--annotate-max-side`: the preview's long side.
        public static let annotateMaxSide = SettingKey("annotate-max-side")
        /// `--rate`: request starts per minute.
        public static let rate = SettingKey("rate")
        /// `--temperature`.
        public static let temperature = SettingKey("temperature")
        /// `--request-timeout`.
        public static let requestTimeout = SettingKey("request-timeout")
        /// `--service-tier` / `ANNOTATE_SERVICE_TIER`: standard, or flex (half price, slower, sheddable).
        public static let serviceTier = SettingKey("service-tier", environment: ["ANNOTATE_SERVICE_TIER"])
    }
}

/// What the AI annotators need. Keys are `Secret`s: printing this never shows them.
public struct AnnotationSettings: Sendable {
    /// `--model`, else `GEMINI_MODEL_NAME` (gemini) or `OPENAI_MODEL` (openai), else the file; nil when unset.
    public var model: String?
    /// The prompt (`--prompt`, `--prompt-file`, or the built-in one).
    public var prompt: String
    /// Long side of the JPEG sent to the API (`--annotate-max-side`).
    public var previewSide: Int
    /// `--rate`: request starts per minute, or nil for no pacing.
    public var ratePerMinute: Double?
    /// `--temperature`, or the API's default.
    public var temperature: Double?
    /// `--request-timeout` (15 minutes by default on the flex tier, whose latency target is 1–15 minutes).
    public var requestTimeout: Duration
    /// `--service-tier`.
    public var serviceTier: ServiceTier = .standard
    /// `GEMINI_API_KEY` or `GOOGLE_API_KEY`.
    public var geminiKey: Secret?
    /// `GEMINI_BASE_URL`, else Google's.
    public var geminiBaseURL: URL
    /// `OPENAI_API_KEY`.
    public var openAIKey: Secret?
    /// `OPENAI_BASE_URL`, else OpenAI's.
    public var openAIBaseURL: URL
}

extension AnnotationSettings {
    /// The keys the annotators' settings are read from (keys and endpoints come from the environment).
    public static let settingKeys: [SettingKey] = [
        Keys.model, Keys.prompt, Keys.promptFile, Keys.annotateMaxSide, Keys.rate, Keys.temperature, Keys.requestTimeout,
        Keys.serviceTier,
    ]

    /// The annotators' settings from `source`: the model from `--model`, else `modelVariable`
    /// (`GEMINI_MODEL_NAME` or `OPENAI_MODEL`), else the file; prompt and limits from the layers;
    /// keys and endpoints from the environment only. `modelInURLPath` (Gemini) refuses names
    /// that would change the URL's path.
    public init(from source: some SettingsSource, modelVariable: String, modelInURLPath: Bool) throws(ConfigurationError) {
        let environment = source.environment
        let modelEnvironment = modelVariable
        var model: String?
        var modelSource = ConfigurationSource.environment(modelVariable)
        if let (text, origin) = source.raw(Keys.model), source.isFlag(Keys.model) {
            (model, modelSource) = (text, origin)
        } else if let value = source.environmentValue(modelEnvironment) {
            model = value
        } else if let (text, origin) = source.raw(Keys.model) {
            (model, modelSource) = (text, origin)
        }
        // Gemini puts the name in the URL path; OpenAI-compatible servers take names like Qwen/Qwen2-VL-7B.
        let pathUnsafe: (Character) -> Bool = { modelInURLPath && "/?#%".contains($0) }
        if let name = model,
            name.isEmpty || name.contains(where: { $0.isWhitespace })
                || name.replacingOccurrences(of: "models/", with: "").contains(where: pathUnsafe)
        {
            throw ConfigurationError(source: modelSource, message: "\(name.debugDescription) is not a model name")
        }
        var prompt = AnnotationPrompt.standard
        if source.isFlag(Keys.prompt) && source.isFlag(Keys.promptFile) {
            throw ConfigurationError(source: .flag("prompt-file"), message: "give either --prompt or --prompt-file, not both")
        }
        if let (path, origin) = source.raw(Keys.promptFile), !source.isFlag(Keys.prompt) {
            do {
                prompt = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw ConfigurationError(source: origin, message: "cannot read the prompt file \(path): \(FileSystemReason.describe(error))")
            }
        } else if let (text, _) = source.raw(Keys.prompt) {
            prompt = text
        }
        if prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ConfigurationError(
                source: source.raw(Keys.prompt)?.1 ?? source.raw(Keys.promptFile)?.1 ?? .defaultValue, message: "the prompt is empty")
        }
        let previewSide = try source.value(Keys.annotateMaxSide, default: "768") { text throws(ConfigurationProblem) in
            guard let side = Int(text), (64...4096).contains(side) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a side length between 64 and 4096 pixels")
            }
            return side
        }
        let rate = try source.optionalValue(Keys.rate) { text throws(ConfigurationProblem) in
            guard let perMinute = AnnotationSettings.perMinute(text) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a rate; write e.g. 15/min, 2/s or 1000/h")
            }
            return perMinute
        }
        let temperature = try source.optionalValue(Keys.temperature) { text throws(ConfigurationProblem) in
            guard let t = Double(text), (0...2).contains(t) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a temperature between 0 and 2")
            }
            return t
        }
        let tier = try source.value(Keys.serviceTier, default: ServiceTier.standard.rawValue) { text throws(ConfigurationProblem) in
            guard let tier = ServiceTier(rawValue: text.lowercased()), tier != .batch else {
                throw ConfigurationProblem("\(text.debugDescription) is not a tier for synchronous calls; write standard or flex")
            }
            return tier
        }
        let timeout = try source.value(Keys.requestTimeout, default: tier == .flex ? "15m" : "60s") { text throws(ConfigurationProblem) in
            guard let duration = Quantity.duration(text), duration >= .milliseconds(100) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a duration; write e.g. 30s or 2m")
            }
            return duration
        }
        func secret(_ names: [String]) -> Secret? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }.map(Secret.init)
        }
        func endpoint(_ name: String, default fallback: URL) throws(ConfigurationError) -> URL {
            guard let text = environment[name], !text.isEmpty else { return fallback }
            guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text),
                let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil
            else {
                throw ConfigurationError(source: .environment(name), message: "\(text.debugDescription) is not an http(s) URL")
            }
            return url
        }
        self.model = model
        self.prompt = prompt
        self.previewSide = previewSide
        self.ratePerMinute = rate
        self.temperature = temperature
        self.requestTimeout = timeout
        self.serviceTier = tier
        geminiKey = secret(["GEMINI_API_KEY", "GOOGLE_API_KEY"])
        geminiBaseURL = try endpoint("GEMINI_BASE_URL", default: GeminiAnnotator.defaultBaseURL)
        openAIKey = secret(["OPENAI_API_KEY"])
        openAIBaseURL = try endpoint("OPENAI_BASE_URL", default: OpenAIAnnotator.defaultBaseURL)
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
}
