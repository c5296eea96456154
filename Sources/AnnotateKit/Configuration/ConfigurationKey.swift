/// The settings the configuration file and flags know, by their long option names.
public enum ConfigurationKey: String, CaseIterable, Sendable {
    case home, db, store
    case thumbnailStore = "thumbnail-store"
    case annotator
    case thumbnailSize = "thumbnail-size"
    case thumbnailFormat = "thumbnail-format"
    case crop
    case maxBytes = "max-bytes"
    case maxPixels = "max-pixels"
    case jobs
    case annotationJobs = "annotation-jobs"
    case maxAttempts = "max-attempts"
    case lease
    case logLevel = "log-level"
    case model
    case prompt
    case promptFile = "prompt-file"
    case annotateMaxSide = "annotate-max-side"
    case rate
    case temperature
    case requestTimeout = "request-timeout"
    case host, port, token
    case maxUploadMB = "max-upload-mb"
    case isPrivate = "private"
    case noProcess = "no-process"
    case allowedHost = "allowed-host"

    /// Environment variables that set this key, first match wins.
    var environmentNames: [String] {
        switch self {
        case .home: ["ANNOTATE_HOME"]
        case .db: ["ANNOTATE_DB"]
        case .store: ["ANNOTATE_STORE"]
        case .thumbnailStore: ["ANNOTATE_THUMBNAIL_STORE"]
        case .annotator: ["ANNOTATE_ANNOTATOR"]
        case .logLevel: ["ANNOTATE_LOG_LEVEL"]
        case .prompt: ["ANNOTATE_PROMPT"]
        case .token: ["ANNOTATE_TOKEN"]
        case .allowedHost: ["ANNOTATE_ALLOWED_HOSTS"]
        default: []
        }
    }
}
