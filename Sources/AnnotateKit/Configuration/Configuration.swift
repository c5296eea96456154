import AnnotateAnnotators
import AnnotateCore
import AnnotateMetadata
import AnnotatePipeline
import AnnotateWeb
import Foundation
import Logging

/// Every setting the subcommands share, resolved once: flag > environment > config file > default.
public struct Configuration: Sendable {
    /// Root of the embedded defaults (database file and object folder).
    public var home: URL
    /// `--db`: SQLite file or MySQL/MariaDB URL.
    public var database: DatabaseLocation
    /// `DB_SECRET_ARN`: a Secrets Manager secret with the database's credentials, read at start-up (`DatabaseSecret`).
    public var databaseSecretARN: String?
    /// `--store`: where originals go.
    public var store: StoreLocation
    /// `--thumbnail-store` (or `THUMBNAIL_BUCKET_NAME`): where thumbnails go; the originals' store by default.
    public var thumbnailStore: StoreLocation
    /// `--annotator`: gemini, openai or metadata.
    public var annotator: AnnotatorChoice
    /// Model, prompt, endpoints and keys for the AI annotators.
    public var annotation: AnnotationSettings
    /// Thumbnail box, format, crop and quality.
    public var thumbnail: ThumbnailSpec
    /// `--max-bytes` and `--max-pixels`.
    public var limits: IntakeLimits
    /// Parallel uploads, and thumbnail workers in `process`.
    public var jobs: Int
    /// Concurrent annotation calls in `process`.
    public var annotationJobs: Int
    /// Attempts per task, counted across runs.
    public var maxAttempts: Int
    /// How long a claimed task stays leased without renewal.
    public var lease: Duration
    /// `--only`: the tasks `process` and `lambda` run (both unless one is named).
    public var tasks: Set<TaskKind> = Set(TaskKind.allCases)
    /// Log level from `ANNOTATE_LOG_LEVEL` or `log-level` in the file (flags `--quiet`/`--verbose` win).
    public var logLevel: Logger.Level?
    /// The standard AWS settings, for S3 stores.
    public var aws: AWSSettings = AWSSettings(environment: [:])
    /// `serve`'s address, access token and upload limit.
    public var web: WebSettings = WebSettings()
    /// Dollars per million tokens by model and tier: the built-in list prices, with the config file's `[prices."MODEL"]` over them.
    public var prices: PriceTable = ListPrices.table
}

extension Configuration {
    /// Resolves the configuration from flag values (by long name), the environment and the
    /// config file named by `--config` or `ANNOTATE_CONFIG`.
    public static func resolve(
        flags: [ConfigurationKey: String], configFile: String? = nil,
        environment: [String: String]
    ) throws -> Configuration {
        var layers = Layers(flags: flags, environment: environment)
        if let path = configFile {
            try layers.loadFile(path, source: .flag("config"))
        } else if let path = environment["ANNOTATE_CONFIG"], !path.isEmpty {
            try layers.loadFile(path, source: .environment("ANNOTATE_CONFIG"))
        }

        let home = try layers.value(.home, default: Self.defaultHome(environment)) { text throws(ConfigurationProblem) in
            guard !text.isEmpty else { throw ConfigurationProblem("the home directory is empty") }
            return URL(fileURLWithPath: (text as NSString).expandingTildeInPath).standardizedFileURL
        }
        let database = try DatabaseLocation(from: layers, default: "sqlite:\(home.appendingPathComponent("annotate.db").path)")
        let store = try layers.value(.store, default: "file:\(home.appendingPathComponent("objects").path)") {
            text throws(ConfigurationProblem) in try StoreLocation(parsing: text)
        }
        // The original deployment named its thumbnail bucket in THUMBNAIL_BUCKET_NAME.
        let thumbnailBucket = environment["THUMBNAIL_BUCKET_NAME"].flatMap { $0.isEmpty ? nil : "s3://\($0)" }
        let thumbnailStore = try layers.value(.thumbnailStore, default: thumbnailBucket ?? store.description) {
            text throws(ConfigurationProblem) in try StoreLocation(parsing: text)
        }
        let annotator = try layers.value(.annotator, default: AnnotatorChoice.gemini.rawValue) { text throws(ConfigurationProblem) in
            guard let choice = AnnotatorChoice(rawValue: text.lowercased()) else {
                throw ConfigurationProblem(
                    "unknown annotator \(text.debugDescription); this build has: \(AnnotatorChoice.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return choice
        }
        let thumbnail = try ThumbnailSpec(from: layers)
        let limits = try IntakeLimits(from: layers)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let jobs = try layers.value(.jobs, default: String(cores), parse: SettingParsers.positiveInteger)
        let annotationJobs = try layers.value(.annotationJobs, default: "8", parse: SettingParsers.positiveInteger)
        let maxAttempts = try layers.value(.maxAttempts, default: "3", parse: SettingParsers.positiveInteger)
        let lease = try layers.value(.lease, default: "10m") { text throws(ConfigurationProblem) in
            guard let duration = Quantity.duration(text), duration >= .seconds(1) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a duration of at least 1s; write e.g. 30s, 10m or 1h")
            }
            return duration
        }
        let only = try layers.optionalValue(.only) { text throws(ConfigurationProblem) in
            guard let task = TaskKind(rawValue: text.lowercased()) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a task; write annotation or thumbnail")
            }
            return task
        }
        let logLevel = try layers.optionalValue(.logLevel) { text throws(ConfigurationProblem) in
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ConfigurationProblem("unknown log level \(text.debugDescription); use trace, debug, info, notice, warning, error or critical")
            }
            return level
        }
        let annotation = try AnnotationSettings(
            from: layers, modelVariable: annotator == .openai ? "OPENAI_MODEL" : "GEMINI_MODEL_NAME", modelInURLPath: annotator == .gemini)
        let web = try WebSettings(from: layers)
        return Configuration(
            home: home, database: database, databaseSecretARN: environment["DB_SECRET_ARN"].flatMap { $0.isEmpty ? nil : $0 }, store: store,
            thumbnailStore: thumbnailStore, annotator: annotator,
            annotation: annotation,
            thumbnail: thumbnail, limits: limits,
            jobs: jobs, annotationJobs: annotationJobs, maxAttempts: maxAttempts, lease: lease,
            tasks: only.map { [$0] } ?? Set(TaskKind.allCases), logLevel: logLevel,
            aws: AWSSettings(environment: environment), web: web, prices: try PriceSettings.table(from: layers))
    }

    /// `$XDG_DATA_HOME/annotate`, else `~/.local/share/annotate`.
    static func defaultHome(_ environment: [String: String]) -> String {
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/annotate" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/annotate"
    }
}
