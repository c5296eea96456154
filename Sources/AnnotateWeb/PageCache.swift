import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// One page made from records, kept as sent and gzip-compressed, with the database's change
/// version it was made at. A class: every request for it takes one reference, not a copy.
final class CachedPage: Sendable {
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
    /// The route pattern it answers (`/images/{id}`), the label its requests are counted under.
    let route: String
    /// The answers' headers, made once: most requests for a kept page only send them.
    private let plainHeaders: HTTPFields
    private let gzipHeaders: HTTPFields
    /// The same with the headers every response carries and the length, for answers given on the
    /// event loop, which pass through no middleware (see `KeptPageResponder`).
    private let completePlainHeaders: HTTPFields
    private let completeGzipHeaders: HTTPFields
    /// Those as HTTP/1.1 puts them on the wire, for 200 and 304, up to the `Date` value.
    private let wirePlain: (ok: ByteBuffer, notModified: ByteBuffer)
    private let wireGzip: (ok: ByteBuffer, notModified: ByteBuffer)

    /// `cacheControl`: kept pages are revalidated each time; the style sheet and script may be
    /// kept by browsers for a while. `alwaysSent`: the headers the middleware adds to every
    /// response (`SecurityHeaders`).
    init(
        version: Int64, contentType: String, body: ByteBuffer, cacheControl: String = "private, no-cache", route: String = "",
        alwaysSent: HTTPFields = [:]
    ) {
        self.version = version
        self.contentType = contentType
        self.body = body
        self.route = route
        gzipped = try? body.gzipped()
        let tag = "\(String(body.readableBytes, radix: 36))-\(String(Self.fingerprint(body), radix: 36))"
        etag = "\"\(tag)\""
        gzipETag = "\"\(tag)-gz\""
        plainHeaders = [.contentType: contentType, .eTag: etag, .cacheControl: cacheControl, .vary: "Accept-Encoding"]
        gzipHeaders = [
            .contentType: contentType, .eTag: gzipETag, .cacheControl: cacheControl, .vary: "Accept-Encoding",
            .contentEncoding: "gzip",
        ]
        completePlainHeaders = plainHeaders + [.contentLength: String(body.readableBytes)] + alwaysSent
        completeGzipHeaders = gzipHeaders + [.contentLength: String(gzipped?.readableBytes ?? 0)] + alwaysSent
        wirePlain = (Self.wireHead(.ok, completePlainHeaders), Self.wireHead(.notModified, Self.notModified(completePlainHeaders)))
        wireGzip = (Self.wireHead(.ok, completeGzipHeaders), Self.wireHead(.notModified, Self.notModified(completeGzipHeaders)))
    }

    /// A 304 carries the validators and caching headers, not the body's encoding or length.
    private static func notModified(_ headers: HTTPFields) -> HTTPFields {
        var headers = headers
        headers[.contentEncoding] = nil
        headers[.contentLength] = nil
        return headers
    }

    /// The status line and header lines, ending in `Date: ` for the answer to complete.
    private static func wireHead(_ status: HTTPResponse.Status, _ headers: HTTPFields) -> ByteBuffer {
        var buffer = ByteBuffer(string: "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        for field in headers { buffer.writeString("\(field.name.rawName): \(field.value)\r\n") }
        buffer.writeString("Date: ")
        return buffer
    }

    /// FNV-1a over the bytes: two different pages of one URL share it with odds of 2^-64.
    static func fingerprint(_ buffer: ByteBuffer) -> UInt64 {
        buffer.withUnsafeReadableBytes { bytes in
            bytes.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
        }
    }

    /// What to send: a status, its headers and, unless 304, a body.
    struct Reply {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer?
        /// For a complete reply, the status line and `headers` as bytes, up to the `Date` value.
        let wireHead: ByteBuffer?
    }

    /// The answer to a request with these headers: gzip when accepted, 304 when `If-None-Match`
    /// names the variant. `complete`: with the headers of `alwaysSent` and the length.
    func reply(acceptEncoding: String?, ifNoneMatch: String?, complete: Bool = false) -> Reply {
        let compressed = gzipped.flatMap { CompressionPolicy.acceptsGzip(acceptEncoding) ? $0 : nil }
        let headers =
            switch (compressed == nil, complete) {
            case (true, false): plainHeaders
            case (false, false): gzipHeaders
            case (true, true): completePlainHeaders
            case (false, true): completeGzipHeaders
            }
        let wire = complete ? (compressed == nil ? wirePlain : wireGzip) : nil
        if CompressionPolicy.matches(ifNoneMatch: ifNoneMatch, etag: compressed == nil ? etag : gzipETag) {
            return Reply(status: .notModified, headers: Self.notModified(headers), body: nil, wireHead: wire?.notModified)
        }
        return Reply(status: .ok, headers: headers, body: compressed ?? body, wireHead: wire?.ok)
    }

    /// The answer to `request`, for a route of the router.
    func response(to request: Request) -> Response {
        let reply = reply(acceptEncoding: request.headers[.acceptEncoding], ifNoneMatch: request.headers[.ifNoneMatch])
        return Response(status: reply.status, headers: reply.headers, body: reply.body.map { .init(byteBuffer: $0) } ?? .init())
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
        page(for: key).flatMap { $0.version == version ? $0 : nil }
    }

    /// The page kept for `key`, of whatever version: the caller compares.
    func page(for key: String) -> CachedPage? {
        lock.withLock { pages[key] }
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
    func cachedPage(_ request: Request, context: BasicRequestContext, render: () async throws -> Response) async throws -> Response {
        guard let version = try await metadata.changeVersion() else { return try await render() }
        let key = request.head.path ?? ""
        if let page = pageCache.page(for: key, version: version) { return page.response(to: request) }
        let response = try await render()
        guard response.status == .ok, let contentType = response.headers[.contentType] else { return response }
        let page = CachedPage(
            version: version, contentType: contentType, body: try await response.body.collected(),
            route: context.endpointPath ?? "unmatched", alwaysSent: securityHeaders)
        pageCache.keep(page, for: key)
        return page.response(to: request)
    }
}
