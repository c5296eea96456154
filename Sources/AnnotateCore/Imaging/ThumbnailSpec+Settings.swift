extension ThumbnailSpec {
    /// The names this subsystem's settings go by (`ConfigurationKey` lists them all).
    public enum Keys {
        /// `--thumbnail-size WxH` (or the original deployment's `TARGET_WIDTH`/`TARGET_HEIGHT`).
        public static let thumbnailSize = SettingKey("thumbnail-size")
        /// `--thumbnail-format`: jpeg, webp or png.
        public static let thumbnailFormat = SettingKey("thumbnail-format")
        /// `--crop`: none, centre or attention.
        public static let crop = SettingKey("crop")
    }
}

extension ThumbnailSpec {
    /// The keys the thumbnail box and encoding are read from.
    public static let settingKeys: [SettingKey] = [Keys.thumbnailSize, Keys.thumbnailFormat, Keys.crop]

    /// The thumbnail spec from `source`: 128×128 JPEG, fitted, where nothing sets it.
    public init(from source: some SettingsSource) throws(ConfigurationError) {
        let (width, height) = try Self.size(from: source)
        let format = try source.value(Keys.thumbnailFormat, default: "jpeg") { text throws(ConfigurationProblem) in
            guard let format = ThumbnailFormat(rawValue: text.lowercased() == "jpg" ? "jpeg" : text.lowercased()) else {
                throw ConfigurationProblem("unknown thumbnail format \(text.debugDescription); use jpeg, webp or png")
            }
            return format
        }
        let crop = try source.value(Keys.crop, default: "none") { text throws(ConfigurationProblem) in
            guard let crop = CropMode(rawValue: text.lowercased() == "center" ? "centre" : text.lowercased()) else {
                throw ConfigurationProblem("unknown crop mode \(text.debugDescription); use none, centre or attention")
            }
            return crop
        }
        self.init(width: width, height: height, format: format, crop: crop)
    }

    /// `--thumbnail-size` as a flag, else `TARGET_WIDTH`/`TARGET_HEIGHT` (the original
    /// deployment's names; one alone makes a square), else the environment or file, else 128×128.
    static func size(from source: some SettingsSource) throws(ConfigurationError) -> (width: Int, height: Int) {
        func parseBox(_ text: String) throws(ConfigurationProblem) -> (Int, Int) {
            let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
            guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (1...10_000).contains(w), (1...10_000).contains(h) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a size; write WIDTHxHEIGHT, e.g. 128x128")
            }
            return (w, h)
        }
        let width = source.environmentValue("TARGET_WIDTH")
        let height = source.environmentValue("TARGET_HEIGHT")
        if !source.isFlag(Keys.thumbnailSize), width != nil || height != nil {
            func side(_ name: String, _ text: String?) throws(ConfigurationError) -> Int? {
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
        return try source.value(Keys.thumbnailSize, default: "128x128", parse: parseBox)
    }
}
