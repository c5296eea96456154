import AnnotateCore

extension WebSettings {
    /// The names this subsystem's settings go by (`ConfigurationKey` lists them all).
    public enum Keys {
        /// `--host`: the address `serve` listens on.
        public static let host = SettingKey("host")
        /// `--port`: 0 picks a free one.
        public static let port = SettingKey("port")
        /// `--token` / `ANNOTATE_TOKEN`.
        public static let token = SettingKey("token", environment: ["ANNOTATE_TOKEN"])
        /// `--max-upload-mb`.
        public static let maxUploadMB = SettingKey("max-upload-mb")
        /// `--private`.
        public static let isPrivate = SettingKey("private")
        /// `--no-process`.
        public static let noProcess = SettingKey("no-process")
        /// `--allowed-host` / `ANNOTATE_ALLOWED_HOSTS` (repeated flags arrive joined by commas).
        public static let allowedHost = SettingKey("allowed-host", environment: ["ANNOTATE_ALLOWED_HOSTS"])
        /// `--drain-delay` / `ANNOTATE_DRAIN_DELAY`.
        public static let drainDelay = SettingKey("drain-delay", environment: ["ANNOTATE_DRAIN_DELAY"])
    }
}

extension WebSettings {
    /// The keys `serve`'s settings are read from.
    public static let settingKeys: [SettingKey] = [
        Keys.host, Keys.port, Keys.token, Keys.maxUploadMB, Keys.isPrivate, Keys.noProcess, Keys.allowedHost, Keys.drainDelay,
    ]

    /// `serve`'s settings from `source`, the defaults where nothing sets them.
    public init(from source: some SettingsSource) throws(ConfigurationError) {
        self.init()
        host = try source.value(Keys.host, default: host) { text throws(ConfigurationProblem) in
            guard !text.isEmpty, !text.contains(where: { $0.isWhitespace || $0 == "/" }) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a host name or address")
            }
            return text
        }
        port = try source.value(Keys.port, default: String(port)) { text throws(ConfigurationProblem) in
            guard let port = Int(text), (0...65535).contains(port) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a port number (0 to 65535; 0 picks a free one)")
            }
            return port
        }
        token = try source.optionalValue(Keys.token) { text throws(ConfigurationProblem) in
            // Short tokens are guessable, and Secret redacts only values of 4 characters or more.
            guard text.count >= 8, !text.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw ConfigurationProblem("the token must be at least 8 characters with no spaces")
            }
            return Secret(text)
        }
        maxUploadBytes = try source.value(Keys.maxUploadMB, default: "100") { text throws(ConfigurationProblem) in
            guard let megabytes = Int64(text), (1...100_000).contains(megabytes) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a size in whole megabytes (1 or more)")
            }
            return megabytes << 20
        }
        isPrivate = try source.value(Keys.isPrivate, default: "false", parse: SettingParsers.boolean)
        processUploads = try !source.value(Keys.noProcess, default: "false", parse: SettingParsers.boolean)
        allowedHosts = try source.value(Keys.allowedHost, default: "", parse: Self.hostNames)
        drainDelay = try source.value(Keys.drainDelay, default: "10s") { text throws(ConfigurationProblem) in
            guard let duration = Quantity.duration(text), duration <= .seconds(600) else {
                throw ConfigurationProblem(
                    "\(text.debugDescription) is not a duration from 0s to 10m; write e.g. 10s (twice the load balancer's health-check interval)")
            }
            return duration
        }
    }

    /// Comma-separated host names, or `*`.
    static func hostNames(_ text: String) throws(ConfigurationProblem) -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for name in names where name != "*" {
            guard !name.contains(where: { $0.isWhitespace || "/@?#".contains($0) }) else {
                throw ConfigurationProblem("\(name.debugDescription) is not a host name; write a name such as gallery.example.org, or * for any")
            }
        }
        return names
    }
}
