import AnnotateCore
import Foundation

/// Presigned S3 URLs, each reused until well before it expires, so the gallery's media requests
/// cost a signature (and a credentials check) only once per object per period — the original
/// deployment needed such a cache to survive its own load test.
actor PresignedURLCache {
    private let lifetime: Duration
    private let reuseFor: TimeInterval
    private var entries: [String: (url: URL, until: Date)] = [:]
    private let capacity: Int

    /// URLs valid for `lifetime`, handed out for the first half of it.
    init(lifetime: Duration = .seconds(3600), capacity: Int = 50_000) {
        self.lifetime = lifetime
        self.reuseFor = lifetime.seconds / 2
        self.capacity = capacity
    }

    /// The URL for `key` in `store`, or nil when the store cannot presign.
    func url(for key: ObjectKey, in store: any ObjectStore, now: Date = Date()) async throws -> URL? {
        let cacheKey = "\(store.displayName)\n\(key.rawValue)"
        if let entry = entries[cacheKey], entry.until > now { return entry.url }
        guard let url = try await store.presignedURL(for: key, expires: lifetime) else { return nil }
        if entries.count >= capacity { entries = entries.filter { $0.value.until > now } }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[cacheKey] = (url, now.addingTimeInterval(reuseFor))
        return url
    }
}
