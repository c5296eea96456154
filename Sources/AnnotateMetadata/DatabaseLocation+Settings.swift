import AnnotateCore

extension DatabaseLocation {
    /// The names this subsystem's settings go by (`ConfigurationKey` lists them all).
    public enum Keys {
        /// `--db` / `ANNOTATE_DB`: `sqlite:PATH` or a MySQL/MariaDB URL.
        public static let db = SettingKey("db", environment: ["ANNOTATE_DB"])
    }
}

extension DatabaseLocation {
    /// The keys the database is read from (besides the original deployment's `DB_*`).
    public static let settingKeys: [SettingKey] = [Keys.db]

    /// The database from `source`: `--db`, else `ANNOTATE_DB`, else the original deployment's
    /// `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USER`, `DB_PASSWORD`, else the config file, else `fallback`.
    public init(from source: some SettingsSource, default fallback: String) throws(ConfigurationError) {
        let given = source.raw(Keys.db)
        var fromFile = false
        if case .file = given?.source { fromFile = true }
        if given == nil || fromFile, source.environmentValue("DB_HOST") != nil {
            do {
                if let legacy = try MySQLLocation.fromLegacyEnvironment(source.environment) {
                    self = .mysql(legacy)
                    return
                }
            } catch {
                throw ConfigurationError(source: .environment("DB_HOST"), message: error.message)
            }
        }
        self = try source.value(Keys.db, default: fallback) { text throws(ConfigurationProblem) in try DatabaseLocation(parsing: text) }
    }
}
