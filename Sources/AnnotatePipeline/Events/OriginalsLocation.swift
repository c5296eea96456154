import AnnotateCore

/// Where the originals store keeps objects, as S3 events name them: which bucket and prefix
/// (none for a folder store), and the `uploads/` layout under it. Turns an event's object into
/// the store's key, or says why the object is not one of the store's originals.
public struct OriginalsLocation: Sendable, Equatable {
    /// The bucket (nil: a folder store, whose events may name any bucket).
    public var bucket: String?
    /// The store's prefix in the bucket (`s3://bucket/PREFIX`), without slashes at the ends.
    public var prefix: String

    /// A location in `bucket` under `prefix`.
    public init(bucket: String?, prefix: String = "") {
        self.bucket = bucket
        self.prefix = prefix
    }

    /// What an event's object is to this store.
    public enum Placement: Sendable, Equatable {
        /// One of the store's originals, at this key.
        case original(ObjectKey)
        /// Not an original (a thumbnail or another file beside them): nothing to do.
        case outsideUploads(String)
    }

    /// The store key of `object`; throws when the object is in another bucket or outside the prefix.
    public func placement(of object: CreatedObject) throws -> Placement {
        var key = object.key
        if let bucket {
            guard object.bucket == bucket else {
                throw S3Event.EventError("the event is about the bucket \(object.bucket), but the originals store is in \(bucket)")
            }
        }
        if !prefix.isEmpty {
            guard key.hasPrefix(prefix + "/") else {
                throw S3Event.EventError("the object \(key) is outside the store's prefix \(prefix)/")
            }
            key.removeFirst(prefix.count + 1)
        }
        guard key.hasPrefix("uploads/") else { return .outsideUploads(object.key) }
        do {
            return .original(try ObjectKey(key))
        } catch {
            throw S3Event.EventError("the object key \(object.key.debugDescription) cannot be an original: \(error)")
        }
    }
}
