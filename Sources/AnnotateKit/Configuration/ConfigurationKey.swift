import AnnotateAnnotators
import AnnotateCore
import AnnotateMetadata
import AnnotatePipeline
import AnnotateWeb

/// The settings flags, the environment and the config file know, by their long option names.
/// Each subsystem declares its own keys beside the settings they fill; this is the one table
/// of them all, which resolution, the config file's key check and the docs test go by.
public typealias ConfigurationKey = SettingKey

extension SettingKey {
    /// `--home` / `ANNOTATE_HOME`: where the default database and objects live.
    public static let home = SettingKey("home", environment: ["ANNOTATE_HOME"])
    /// `--store` / `ANNOTATE_STORE`: where originals go.
    public static let store = SettingKey("store", environment: ["ANNOTATE_STORE"])
    /// `--thumbnail-store` / `ANNOTATE_THUMBNAIL_STORE` (or `THUMBNAIL_BUCKET_NAME`).
    public static let thumbnailStore = SettingKey("thumbnail-store", environment: ["ANNOTATE_THUMBNAIL_STORE"])
    /// `--annotator` / `ANNOTATE_ANNOTATOR`.
    public static let annotator = SettingKey("annotator", environment: ["ANNOTATE_ANNOTATOR"])
    /// `--jobs`: parallel uploads and thumbnail workers.
    public static let jobs = SettingKey("jobs")
    /// `--annotation-jobs`: concurrent annotation calls.
    public static let annotationJobs = SettingKey("annotation-jobs")
    /// `--max-attempts`: attempts per task across runs.
    public static let maxAttempts = SettingKey("max-attempts")
    /// `--lease`: how long a claimed task stays leased without renewal.
    public static let lease = SettingKey("lease")
    /// `--only` / `ANNOTATE_ONLY`: run one task (annotation or thumbnail) in `process` and `lambda`.
    public static let only = SettingKey("only", environment: ["ANNOTATE_ONLY"])
    /// `log-level` (file) / `ANNOTATE_LOG_LEVEL`.
    public static let logLevel = SettingKey("log-level", environment: ["ANNOTATE_LOG_LEVEL"])

    /// Every key, each subsystem's with the root's own.
    public static let allCases: [SettingKey] =
        [.home]
        + DatabaseLocation.settingKeys
        + [.store, .thumbnailStore, .annotator]
        + ThumbnailSpec.settingKeys
        + IntakeLimits.settingKeys
        + [.jobs, .annotationJobs, .maxAttempts, .lease, .only, .logLevel]
        + AnnotationSettings.settingKeys
        + WebSettings.settingKeys

    /// The key named `rawValue`, if any.
    public init?(rawValue: String) {
        guard let key = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = key
    }
}

/// The subsystems' keys under the one name the executable and tests use (`flags[.host]`); each
/// is declared, with its parser, beside the settings it fills.
extension SettingKey {
    /// `WebSettings.Keys.host`, declared with the settings it sets.
    public static let host = WebSettings.Keys.host
    /// `WebSettings.Keys.port`, declared with the settings it sets.
    public static let port = WebSettings.Keys.port
    /// `WebSettings.Keys.token`, declared with the settings it sets.
    public static let token = WebSettings.Keys.token
    /// `WebSettings.Keys.maxUploadMB`, declared with the settings it sets.
    public static let maxUploadMB = WebSettings.Keys.maxUploadMB
    /// `WebSettings.Keys.isPrivate`, declared with the settings it sets.
    public static let isPrivate = WebSettings.Keys.isPrivate
    /// `WebSettings.Keys.noProcess`, declared with the settings it sets.
    public static let noProcess = WebSettings.Keys.noProcess
    /// `WebSettings.Keys.allowedHost`, declared with the settings it sets.
    public static let allowedHost = WebSettings.Keys.allowedHost
    /// `WebSettings.Keys.drainDelay`, declared with the settings it sets.
    public static let drainDelay = WebSettings.Keys.drainDelay
    /// `IntakeLimits.Keys.maxBytes`, declared with the settings it sets.
    public static let maxBytes = IntakeLimits.Keys.maxBytes
    /// `IntakeLimits.Keys.maxPixels`, declared with the settings it sets.
    public static let maxPixels = IntakeLimits.Keys.maxPixels
    /// `ThumbnailSpec.Keys.thumbnailSize`, declared with the settings it sets.
    public static let thumbnailSize = ThumbnailSpec.Keys.thumbnailSize
    /// `ThumbnailSpec.Keys.thumbnailFormat`, declared with the settings it sets.
    public static let thumbnailFormat = ThumbnailSpec.Keys.thumbnailFormat
    /// `ThumbnailSpec.Keys.crop`, declared with the settings it sets.
    public static let crop = ThumbnailSpec.Keys.crop
    /// `DatabaseLocation.Keys.db`, declared with the settings it sets.
    public static let db = DatabaseLocation.Keys.db
    /// `AnnotationSettings.Keys.model`, declared with the settings it sets.
    public static let model = AnnotationSettings.Keys.model
    /// `AnnotationSettings.Keys.prompt`, declared with the settings it sets.
    public static let prompt = AnnotationSettings.Keys.prompt
    /// `AnnotationSettings.Keys.promptFile`, declared with the settings it sets.
    public static let promptFile = AnnotationSettings.Keys.promptFile
    /// `AnnotationSettings.Keys.annotateMaxSide`, declared with the settings it sets.
    public static let annotateMaxSide = AnnotationSettings.Keys.annotateMaxSide
    /// `AnnotationSettings.Keys.rate`, declared with the settings it sets.
    public static let rate = AnnotationSettings.Keys.rate
    /// `AnnotationSettings.Keys.temperature`, declared with the settings it sets.
    public static let temperature = AnnotationSettings.Keys.temperature
    /// `AnnotationSettings.Keys.requestTimeout`, declared with the settings it sets.
    public static let requestTimeout = AnnotationSettings.Keys.requestTimeout
    /// `AnnotationSettings.Keys.serviceTier`, declared with the settings it sets.
    public static let serviceTier = AnnotationSettings.Keys.serviceTier
}
