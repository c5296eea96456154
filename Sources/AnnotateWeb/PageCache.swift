import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// One page made from records, kept as sent and gzip-compressed, with the database's change
/// version it was made at.
struct CachedPage: Sendable {
    let version: Int64
    let contentType: String
    let body: ByteBuffer
    /// nil only when zlib could not start (no memory): the page then goes out plain.
    let gzipped: ByteBuffer?
    /// Strong validator of `body` (its length and fingerprint, not the version: a write that
    /// leaves the page's bytes as they were still answers 304); the gzip variant's is this with
    /// `-gz`, a different byte sequence.
    let etag: String
    let gzipETag: String
    /// The answers' headers, made once: most requests for a kept page only send them.
    private let plainHeaders: HTTPFields
    private let gzipHeaders: HTTPFields

    /// `cacheControl`: kept pages are revalidated each time; the style sheet and script may be
    /// kept by browsers for a while.
    init(version: Int64, contentType: String, body: ByteBuffer, cacheControl: String = "private, no-cache") {
        self.version = version
        self.contentType = contentType
        self.body = body
        gzipped = try? body.gzipped()
        let tag = "\(String(body.readableBytes, radix: 36))-\(String(Self.fingerprint(body), radix: 36))"
        etag = "\"\(tag)\""
        gzipETag = "\"\(tag)-gz\""
        plainHeaders = [.contentType: contentType, .eTag: etag, .cacheControl: cacheControl, .vary: "Accept-Encoding"]
        gzipHeaders = [
            .contentType: contentType, .eTag: gzipETag, .cacheControl: cacheControl, .vary: "Accept-Encoding",
            .contentEncoding: "gzip",
        ]
    }

    /// FNV-1a over the bytes: two different pages of one URL share it with odds of 2^-64.
    static func fingerprint(_ buffer: ByteBuffer) -> UInt64 {
        buffer.withUnsafeReadableBytes { bytes in
            bytes.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
        }
    }

    /// The answer to `request`: gzip when accepted, 304 when its `If-None-Match` names this variant.
    func response(to request: Request) -> Response {
        let compressed = gzipped.flatMap { CompressionPolicy.acceptsGzip(request.headers[.acceptEncoding]) ? $0 : nil }
        var headers = compressed == nil ? plainHeaders : gzipHeaders
        if CompressionPolicy.matches(ifNoneMatch: request.headers[.ifNoneMatch], etag: headers[.eTag] ?? "") {
            headers[.contentEncoding] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: compressed ?? body))
    }
}

/// Pages made from records, reused while the database's change version stays the same: most
/// requests for a gallery page find nothing changed, and sending kept bytes costs a small
/// fraction of reading 50 records and writing the page. A page is never older than the version
/// read before it was made, so no write committed before a request is missing from its answer.
final class PageCache: @unchecked Sendable {
    private let lock = NSLock()
    private var pages: [String: CachedPage] = [:]
    private var bytes = 0
    private let maxBytes: Int
    private let maxPages: Int
    /// Longer keys (query strings nobody links to) are not kept.
    static let maxKeyLength = 256

    init(maxPages: Int = 2_000, maxBytes: Int = 64 << 20) {
        self.maxPages = maxPages
        self.maxBytes = maxBytes
    }

    /// The page kept for `key` if it was made at `version`.
    func page(for key: String, version: Int64) -> CachedPage? {
        lock.withLock { pages[key].flatMap { $0.version == version ? $0 : nil } }
    }

    /// Keeps `page`; when full, everything kept is dropped (pages of older versions are useless
    /// anyway, and this bounds memory whatever the requests).
    func keep(_ page: CachedPage, for key: String) {
        guard key.utf8.count <= Self.maxKeyLength else { return }
        let size = page.body.readableBytes + (page.gzipped?.readableBytes ?? 0)
        lock.withLock {
            if pages.count >= maxPages || bytes + size > maxBytes {
                pages.removeAll(keepingCapacity: true)
                bytes = 0
            }
            if let old = pages.updateValue(page, forKey: key) { bytes -= old.body.readableBytes + (old.gzipped?.readableBytes ?? 0) }
            bytes += size
        }
    }
}

extension WebApp {
    /// Answers a page route from the cache, or renders it (with `render`) and keeps it. Only
    /// 200 answers are kept; errors and stores that cannot tell their version pass through.
    func cachedPage(_ request: Request, render: () async throws -> Response) async throws -> Response {
        guard let version = try await metadata.changeVersion() else { return try await render() }
        let key = request.uri.description
        if let page = pageCache.page(for: key, version: version) { return page.response(to: request) }
        let response = try await render()
        guard response.status == .ok, let contentType = response.headers[.contentType] else { return response }
        let page = CachedPage(version: version, contentType: contentType, body: try await response.body.collected())
        pageCache.keep(page, for: key)
        return page.response(to: request)
    }
}
