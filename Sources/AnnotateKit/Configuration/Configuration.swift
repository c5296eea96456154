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
    /// Log level from `ANNOTATE_LOG_LEVEL` or `log-level` in the file (flags `--quiet`/`--verbose` win).
    public var logLevel: Logger.Level?
    /// The standard AWS settings, for S3 stores.
    public var aws: AWSSettings = AWSSettings(environment: [:])
    /// `serve`'s address, access token and upload limit.
    public var web: WebSettings = WebSettings()
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
        let database = try layers.value(.db, default: "sqlite:\(home.appendingPathComponent("annotate.db").path)") {
            text throws(ConfigurationProblem) in
            if text == Layers.legacyDatabaseMarker, let legacy = try MySQLLocation.fromLegacyEnvironment(environment) {
                return DatabaseLocation.mysql(legacy)
            }
            return try DatabaseLocation(parsing: text)
        }
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
        let size = try layers.thumbnailSize()
        let format = try layers.value(.thumbnailFormat, default: "jpeg") { text throws(ConfigurationProblem) in
            guard let format = ThumbnailFormat(rawValue: text.lowercased() == "jpg" ? "jpeg" : text.lowercased()) else {
                throw ConfigurationProblem("unknown thumbnail format \(text.debugDescription); use jpeg, webp or png")
            }
            return format
        }
        let crop = try layers.value(.crop, default: "none") { text throws(ConfigurationProblem) in
            guard let crop = CropMode(rawValue: text.lowercased() == "center" ? "centre" : text.lowercased()) else {
                throw ConfigurationProblem("unknown crop mode \(text.debugDescription); use none, centre or attention")
            }
            return crop
        }
        let maxBytes = try layers.value(.maxBytes, default: "100MB") { text throws(ConfigurationProblem) in
            guard let bytes = Quantity.bytes(text) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a size; write e.g. 100MB or 5000000")
            }
            return bytes
        }
        let maxPixels = try layers.value(.maxPixels, default: "100MP") { text throws(ConfigurationProblem) in
            guard let pixels = Quantity.pixels(text) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a pixel count; write e.g. 100MP or 50000000")
            }
            return pixels
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let jobs = try layers.value(.jobs, default: String(cores), parse: positiveInteger)
        let annotationJobs = try layers.value(.annotationJobs, default: "8", parse: positiveInteger)
        let maxAttempts = try layers.value(.maxAttempts, default: "3", parse: positiveInteger)
        let lease = try layers.value(.lease, default: "10m") { text throws(ConfigurationProblem) in
            guard let duration = Quantity.duration(text), duration >= .seconds(1) else {
                throw ConfigurationProblem("\(text.debugDescription) is not a duration of at least 1s; write e.g. 30s, 10m or 1h")
            }
            return duration
        }
        let logLevel = try layers.optionalValue(.logLevel) { text throws(ConfigurationProblem) in
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ConfigurationProblem("unknown log level \(text.debugDescription); use trace, debug, info, notice, warning, error or critical")
            }
            return level
        }
        let annotation = try layers.annotationSettings(for: annotator)
        let web = try layers.webSettings()
        return Configuration(
            home: home, database: database, store: store, thumbnailStore: thumbnailStore, annotator: annotator,
            annotation: annotation,
            thumbnail: ThumbnailSpec(width: size.width, height: size.height, format: format, crop: crop),
            limits: IntakeLimits(maxBytes: maxBytes, maxPixels: maxPixels),
            jobs: jobs, annotationJobs: annotationJobs, maxAttempts: maxAttempts, lease: lease, logLevel: logLevel,
            aws: AWSSettings(environment: environment), web: web)
    }

    /// `$XDG_DATA_HOME/annotate`, else `~/.local/share/annotate`.
    static func defaultHome(_ environment: [String: String]) -> String {
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/annotate" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/annotate"
    }

    private static func positiveInteger(_ text: String) throws(ConfigurationProblem) -> Int {
        guard let value = Int(text), value > 0, value <= 100_000 else {
            throw ConfigurationProblem("\(text.debugDescription) is not a positive whole number")
        }
        return value
    }
}
