import AnnotateCore

extension IntakeLimits {
    /// The names this subsystem's settings go by (`ConfigurationKey` lists them all).
    public enum Keys {
        /// `--max-bytes`: the largest file accepted.
        public static let maxBytes = SettingKey("max-bytes")
        /// `--max-pixels`: the most pixels a header may declare.
        public static let maxPixels = SettingKey("max-pixels")
    }
}

extension IntakeLimits {
    /// The keys the limits are read from.
    public static let settingKeys: [SettingKey] = [Keys.maxBytes, Keys.maxPixels]

    /// The limits from `source`, 100 MB and 100 megapixels where nothing sets them.
    public init(from source: some SettingsSource) throws(ConfigurationError) {
        let maxBytes = try source.value(Keys.maxBytes, default: "100MB") { text throws(ConfigurationProblem) in
            guard let bytes = Quantity.bytes(text) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a size; write e.g. 100MB or 5000000")
            }
            return bytes
        }
        let maxPixels = try source.value(Keys.maxPixels, default: "100MP") { text throws(ConfigurationProblem) in
            guard let pixels = Quantity.pixels(text) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a pixel count; write e.g. 100MP or 50000000")
            }
            return pixels
        }
        self.init(maxBytes: maxBytes, maxPixels: maxPixels)
    }
}
