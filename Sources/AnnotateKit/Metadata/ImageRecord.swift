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
    public var id: Int64
    /// The file name as the user gave it (display only; keys use the sanitised form).
    public var filename: String
    /// Hex SHA-256 of the bytes; nil only for rows made by the original deployment.
    public var sha256: String?
    public var contentType: String?
    public var size: Int64?
    /// Display width and height (after EXIF rotation).
    public var width: Int?
    public var height: Int?
    public var originalKey: String
    public var thumbnailKey: String?
    public var annotation: String?
    public var tags: [String]
    public var model: String?
    public var promptHash: String?
    public var tokens: Int?
    public var annotationStatus: TaskStatus
    public var annotationError: String?
    public var annotationErrorClass: FailureClass?
    public var annotationAttempts: Int
    public var thumbnailStatus: TaskStatus
    public var thumbnailError: String?
    public var thumbnailErrorClass: FailureClass?
    public var thumbnailAttempts: Int
    public var uploadedAt: Date
    public var updatedAt: Date

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
    public var filename: String
    public var sha256: String
    public var contentType: String
    public var size: Int64
    public var width: Int
    public var height: Int
    public var originalKey: String

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
    public var caption: String
    public var tags: [String]
    /// Which annotator/model made it, e.g. `metadata-v1` or `gemini-2.5-flash-lite`.
    public var model: String
    /// Hash of the prompt that made it (nil when no prompt is involved).
    public var promptHash: String?
    /// Tokens billed for it, when the annotator reports usage.
    public var tokens: Int?

    public init(caption: String, tags: [String], model: String, promptHash: String? = nil, tokens: Int? = nil) {
        self.caption = caption
        self.tags = tags
        self.model = model
        self.promptHash = promptHash
        self.tokens = tokens
    }
}
