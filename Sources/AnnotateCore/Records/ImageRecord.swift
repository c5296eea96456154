import Foundation

/// The two independent tasks each image gets.
public enum TaskKind: String, Sendable, CaseIterable, Codable {
    case annotation, thumbnail
}

/// A task's state; the words are the original deployment's.
public enum TaskStatus: String, Sendable, CaseIterable, Codable {
    case pending, processing, completed, failed
}

/// Why a task failed, for the failure ledger (`status --failed`) and for deciding what to do.
public enum FailureClass: String, Sendable, CaseIterable, Codable {
    /// Worked at every attempt until the attempts ran out (throttling, outages): retry later.
    case transient
    /// The image or the request is at fault (undecodable, refused by the API): retrying will not help.
    case permanent
    /// Its worker vanished at every attempt (killed, out of memory, out of time): the image is
    /// likely beyond this host's limits.
    case limit
}

/// One row of the `images` table: one distinct image content.
public struct ImageRecord: Sendable, Equatable {
    /// The record's id, as users name it (`status 12`, `/images/12`).
    public var id: Int64
    /// The file name as the user gave it (display only; keys use the sanitised form).
    public var filename: String
    /// Hex SHA-256 of the bytes; nil only for rows made by the original deployment.
    public var sha256: String?
    /// The media type sniffed from the bytes.
    public var contentType: String?
    /// The original's size in bytes.
    public var size: Int64?
    /// Display width and height (after EXIF rotation).
    public var width: Int?
    /// Display height (after EXIF rotation).
    public var height: Int?
    /// The original's key in the store (`uploads/…`).
    public var originalKey: String
    /// The thumbnail's key (`thumbnails/…`), once made.
    public var thumbnailKey: String?
    /// The caption, once annotated.
    public var annotation: String?
    /// The annotation's tags, in the annotator's order.
    public var tags: [String]
    /// The annotator and model that made the annotation.
    public var model: String?
    /// The hash of the prompt that made it (for `--stale`).
    public var promptHash: String?
    /// Tokens the annotation was billed, when reported.
    public var tokens: Int?
    /// Of those, the input (prompt and image) tokens; nil for records made before the split was kept.
    public var inputTokens: Int?
    /// Of those, the output (answer and thinking) tokens.
    public var outputTokens: Int?
    /// The tier the annotation was billed at.
    public var serviceTier: ServiceTier?
    /// The batch job holding the annotation task (its display name), while one does.
    public var batchJob: String?
    /// The annotation task's state.
    public var annotationStatus: TaskStatus
    /// Why the annotation failed, or why it waits to retry.
    public var annotationError: String?
    /// What kind of failure it was.
    public var annotationErrorClass: FailureClass?
    /// Attempts at the annotation, counted across runs.
    public var annotationAttempts: Int
    /// The thumbnail task's state.
    public var thumbnailStatus: TaskStatus
    /// Why the thumbnail failed, or why it waits to retry.
    public var thumbnailError: String?
    /// What kind of failure it was.
    public var thumbnailErrorClass: FailureClass?
    /// Attempts at the thumbnail, counted across runs.
    public var thumbnailAttempts: Int
    /// When the image was uploaded.
    public var uploadedAt: Date
    /// When the record last changed.
    public var updatedAt: Date

    /// A record with every column given; task columns default to a new image's.
    public init(
        id: Int64,
        filename: String,
        sha256: String?,
        contentType: String?,
        size: Int64?,
        width: Int?,
        height: Int?,
        originalKey: String,
        thumbnailKey: String? = nil,
        annotation: String? = nil,
        tags: [String] = [],
        model: String? = nil,
        promptHash: String? = nil,
        tokens: Int? = nil,
        inputTokens: Int? = nil,
        outputTokens: Int? = nil,
        serviceTier: ServiceTier? = nil,
        batchJob: String? = nil,
        annotationStatus: TaskStatus = .pending,
        annotationError: String? = nil,
        annotationErrorClass: FailureClass? = nil,
        annotationAttempts: Int = 0,
        thumbnailStatus: TaskStatus = .pending,
        thumbnailError: String? = nil,
        thumbnailErrorClass: FailureClass? = nil,
        thumbnailAttempts: Int = 0,
        uploadedAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.filename = filename
        self.sha256 = sha256
        self.contentType = contentType
        self.size = size
        self.width = width
        self.height = height
        self.originalKey = originalKey
        self.thumbnailKey = thumbnailKey
        self.annotation = annotation
        self.tags = tags
        self.model = model
        self.promptHash = promptHash
        self.tokens = tokens
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.serviceTier = serviceTier
        self.batchJob = batchJob
        self.annotationStatus = annotationStatus
        self.annotationError = annotationError
        self.annotationErrorClass = annotationErrorClass
        self.annotationAttempts = annotationAttempts
        self.thumbnailStatus = thumbnailStatus
        self.thumbnailError = thumbnailError
        self.thumbnailErrorClass = thumbnailErrorClass
        self.thumbnailAttempts = thumbnailAttempts
        self.uploadedAt = uploadedAt
        self.updatedAt = updatedAt
    }

    /// The status of one task.
    public func status(of task: TaskKind) -> TaskStatus {
        task == .annotation ? annotationStatus : thumbnailStatus
    }

    /// The error of one task, when it failed or is waiting to retry.
    public func error(of task: TaskKind) -> String? {
        task == .annotation ? annotationError : thumbnailError
    }

    /// Why one task failed, when it did.
    public func errorClass(of task: TaskKind) -> FailureClass? {
        task == .annotation ? annotationErrorClass : thumbnailErrorClass
    }

    /// Attempts made at one task.
    public func attempts(of task: TaskKind) -> Int {
        task == .annotation ? annotationAttempts : thumbnailAttempts
    }
}

/// What an upload knows about a new image before it has a record.
public struct NewImage: Sendable {
    /// The file name as the user gave it.
    public var filename: String
    /// Hex SHA-256 of the bytes (duplicates are found by it).
    public var sha256: String
    /// The media type sniffed from the bytes.
    public var contentType: String
    /// Size in bytes.
    public var size: Int64
    /// Display width (after EXIF rotation).
    public var width: Int
    /// Display height (after EXIF rotation).
    public var height: Int
    /// Where the original was stored.
    public var originalKey: String

    /// A new image's facts, as the uploader measured them.
    public init(filename: String, sha256: String, contentType: String, size: Int64, width: Int, height: Int, originalKey: String) {
        self.filename = filename
        self.sha256 = sha256
        self.contentType = contentType
        self.size = size
        self.width = width
        self.height = height
        self.originalKey = originalKey
    }
}

/// The result of inserting a new image.
public enum InsertOutcome: Sendable, Equatable {
    case inserted(id: Int64)
    /// The same bytes were already recorded under this id.
    case duplicate(id: Int64)
}

/// An annotation as the pipeline records it.
public struct Annotation: Sendable, Equatable {
    /// One sentence describing the image.
    public var caption: String
    /// Short tags, most important first.
    public var tags: [String]
    /// Which annotator/model made it, e.g. `metadata-v1` or `gemini-2.5-flash-lite`.
    public var model: String
    /// Hash of the prompt that made it (nil when no prompt is involved).
    public var promptHash: String?
    /// Tokens billed for it, when the annotator reports usage.
    public var tokens: Int?
    /// Of those, the input (prompt and image) tokens.
    public var inputTokens: Int?
    /// Of those, the output (answer and thinking) tokens.
    public var outputTokens: Int?
    /// The tier it was billed at; nil for a local annotator, which bills nothing.
    public var serviceTier: ServiceTier?

    /// An annotation made by `model`; a remote annotator adds its usage and tier.
    public init(
        caption: String, tags: [String], model: String, promptHash: String? = nil, tokens: Int? = nil,
        inputTokens: Int? = nil, outputTokens: Int? = nil, serviceTier: ServiceTier? = nil
    ) {
        self.caption = caption
        self.tags = tags
        self.model = model
        self.promptHash = promptHash
        self.tokens = tokens
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.serviceTier = serviceTier
    }
}
