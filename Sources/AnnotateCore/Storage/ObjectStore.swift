import Foundation

/// Where image bytes live: originals under `uploads/`, thumbnails under `thumbnails/`.
public protocol ObjectStore: Sendable {
    /// Stores `data` under `key`, replacing any object there; readers never see a partial object.
    func put(_ data: Data, at key: ObjectKey, contentType: String) async throws
    /// The bytes stored under `key`; throws `ObjectStoreError.notFound` when there are none.
    func get(_ key: ObjectKey) async throws -> Data
    /// Whether an object exists under `key`.
    func exists(_ key: ObjectKey) async throws -> Bool
    /// Removes the object under `key`; removing a missing object is not an error.
    func delete(_ key: ObjectKey) async throws
    /// A description for messages, e.g. `file:/var/lib/annotate/objects` (never credentials).
    var displayName: String { get }

    // Capabilities: callers ask the store, never its type. Each has a default below for stores
    // that lack it (in the manner of Hummingbird's `PersistDriver`).

    /// Checks that the store answers and may be written to; throws `ObjectStoreError.unavailable`
    /// saying why. Start-up verification, `/health` and `doctor` all ask this.
    func checkReachable() async throws
    /// What an operator should check when the store fails (doctor's advice).
    var setupAdvice: String { get }
    /// Whether `presignedURL(for:expires:)` gives URLs.
    var canPresign: Bool { get }
    /// A URL anyone can GET the object with until `expires` from now, or nil when this store
    /// cannot make one.
    func presignedURL(for key: ObjectKey, expires: Duration) async throws -> URL?
    /// The local file that holds `key`, for serving it without copying, or nil when objects are
    /// not local files.
    func localFile(for key: ObjectKey) -> URL?
    /// The origin (`scheme://host[:port]`) browsers are sent to for this store's objects, if
    /// any: a page's Content-Security-Policy must allow images from it.
    var browserOrigin: String? { get }
}

extension ObjectStore {
    /// Reachable unless it says otherwise.
    public func checkReachable() async throws {}
    /// Generic advice.
    public var setupAdvice: String { "check the store's location and that this user may write to it" }
    /// No presigning unless the store offers it.
    public var canPresign: Bool { false }
    /// No presigned URL unless the store offers them.
    public func presignedURL(for key: ObjectKey, expires: Duration) async throws -> URL? { nil }
    /// No local file unless the store keeps objects as files.
    public func localFile(for key: ObjectKey) -> URL? { nil }
    /// No other origin unless the store sends browsers elsewhere.
    public var browserOrigin: String? { nil }
}

/// A validated object key: `/`-separated segments, none empty, `.` or `..`, no NUL or backslash.
public struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
    /// The key text, e.g. `uploads/3f2a…-cat.jpg`.
    public let rawValue: String

    /// Validates `rawValue`; throws `ObjectStoreError.invalidKey` when it could escape a store's root.
    public init(_ rawValue: String) throws {
        let segments = rawValue.split(separator: "/", omittingEmptySubsequences: false)
        guard !rawValue.isEmpty, rawValue.utf8.count <= 1024,
            !rawValue.contains("\0"), !rawValue.contains("\\"),
            segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else { throw ObjectStoreError.invalidKey(rawValue) }
        self.rawValue = rawValue
    }

    /// The key.
    public var description: String { rawValue }

    /// The last segment.
    public var name: String { String(rawValue.split(separator: "/").last ?? "") }

    /// `uploads/<first 16 hex digits of the hash>-<sanitised name>`: unique per content, readable.
    public static func original(sha256: String, fileName: String) throws -> ObjectKey {
        try ObjectKey("uploads/\(sha256.prefix(16))-\(FileName.sanitised(fileName))")
    }

    /// The thumbnail's key for an original: `uploads/X.jpg` → `thumbnails/X.<ext>`, the original
    /// deployment's layout (it also serves rows that deployment made, which have no hash).
    public static func thumbnail(forOriginal original: String, fileExtension: String) throws -> ObjectKey {
        var rest = original
        var prefix = ""
        if let range = original.range(of: "uploads/"), original[..<range.lowerBound].isEmpty || original[..<range.lowerBound].hasSuffix("/") {
            prefix = String(original[..<range.lowerBound])
            rest = String(original[range.upperBound...])
        }
        return try ObjectKey("\(prefix)thumbnails/\(FileName.stem(rest)).\(fileExtension)")
    }
}

/// Object store failures, each naming the key or location.
public enum ObjectStoreError: Error, CustomStringConvertible, ExitStatusProviding {
    case invalidKey(String)
    case notFound(key: String, store: String)
    case io(operation: String, key: String, store: String, reason: String)
    case unavailable(store: String, reason: String)

    /// The operation, key, store and reason.
    public var description: String {
        switch self {
        case .invalidKey(let key):
            "invalid object key \(key.debugDescription): keys are /-separated names without '.', '..' or empty parts"
        case .notFound(let key, let store):
            "object \(key) is missing from \(store)"
        case .io(let operation, let key, let store, let reason):
            "cannot \(operation) \(key) in \(store): \(reason)"
        case .unavailable(let store, let reason):
            "the object store \(store) is not usable: \(reason)"
        }
    }

    /// Whether trying again later could help (a missing object or a bad key will not change).
    public var isTransient: Bool {
        switch self {
        case .invalidKey, .notFound: false
        case .io, .unavailable: true
        }
    }

    /// 69 when the store cannot be reached; otherwise the item failed (1).
    public var exitStatus: ExitStatus {
        if case .unavailable = self { return .unavailable }
        return .itemsFailed
    }
}
