import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AnnotateImaging
@testable import AnnotateKit
@testable import AnnotateMetadata
@testable import AnnotatePipeline
@testable import AnnotateWeb

/// Kept pages are reused only while nothing changed: a write by any process, even one that
/// lands between two requests a millisecond apart, is in the next answer.
@Suite struct PageCacheTests {
    @Test func aWriteByAnotherProcessIsInTheVeryNextAnswer() async throws {
        let web = try WebFixture()
        // Another process on the same database: its own store, its own connections.
        guard case .sqlite(let path) = web.components.configuration.database else {
            Issue.record("expected SQLite")
            return
        }
        let elsewhere = Uploader(
            metadata: try SQLiteMetadataStore(path: path), store: web.components.originals,
            limits: .defaults, headers: try VipsHeaderReader(), logger: .quiet)
        try await web.test { client in
            for uri in ["/gallery", "/api/images", "/gallery?status=pending"] {
                #expect(try await client.execute(uri: uri, method: .get).status == .ok)
            }
            for (n, name) in ["fig-bowl.jpg", "astronaut.jpg", "dandelions.jpg"].enumerated() {
                let first = try await client.execute(uri: "/gallery", method: .get)
                let again = try await client.execute(uri: "/gallery", method: .get)
                #expect(first.text == again.text && first.headers[.eTag] == again.headers[.eTag], "unchanged: the kept page")
                #expect(!first.text.contains(name))
                let result = try await elsewhere.upload(UploadCandidate(path: Fixtures.samples.appendingPathComponent(name).path, origin: .named))
                #expect(result.status == .uploaded)
                let gallery = try await client.execute(uri: "/gallery", method: .get)
                #expect(gallery.text.contains(name), "the upload is in the next page at once")
                #expect(gallery.headers[.eTag] != first.headers[.eTag])
                let api = try await client.execute(uri: "/api/images", method: .get)
                #expect((try api.json()["images"] as? [[String: Any]])?.count == n + 1)
                let pending = try await client.execute(uri: "/gallery?status=pending", method: .get)
                #expect(pending.text.contains(name))
            }
            try await web.processAll()
            let record = try await client.execute(uri: "/api/images/1", method: .get).json()
            #expect(record["thumbnail_status"] as? String == "completed", "processing shows at once too")
            let page = try await client.execute(uri: "/images/1", method: .get)
            #expect(page.text.contains("completed") && !page.text.contains("pending"), "the image page too")
        }
    }

    @Test func keptPagesRevalidateWithETagsPerEncoding() async throws {
        let web = try WebFixture()
        try await web.test { client in
            _ = try await client.upload([("fig-bowl.jpg", try Fixtures.sample("fig-bowl.jpg"))])
            let plain = try await client.execute(uri: "/gallery", method: .get)
            let tag = try #require(plain.headers[.eTag])
            #expect(plain.headers[.vary] == "Accept-Encoding" && plain.headers[.contentEncoding] == nil)
            #expect(plain.headers[.cacheControl] == "private, no-cache")
            let gzip = try await client.execute(uri: "/gallery", method: .get, headers: [.acceptEncoding: "gzip, br"])
            #expect(gzip.headers[.contentEncoding] == "gzip" && gzip.headers[.eTag] != tag, "each encoding has its own validator")
            #expect(Array(gzip.body.readableBytesView.prefix(2)) == [0x1f, 0x8b])
            let notModified = try await client.execute(uri: "/gallery", method: .get, headers: [.ifNoneMatch: tag])
            #expect(notModified.status == .notModified && notModified.body.readableBytes == 0)
            let otherEncoding = try await client.execute(uri: "/gallery", method: .get, headers: [.ifNoneMatch: tag, .acceptEncoding: "gzip"])
            #expect(otherEncoding.status == .ok, "the plain page's tag does not validate the gzip one")
            // A write that leaves the page as it was (another image's record, on a page that does
            // not show it) still answers 304: the validator is the bytes', not the version's.
            let detail = try await client.execute(uri: "/images/1", method: .get)
            let detailTag = try #require(detail.headers[.eTag])
            _ = try await client.upload([("astronaut.jpg", try Fixtures.sample("astronaut.jpg"))])
            #expect(try await client.execute(uri: "/images/1", method: .get, headers: [.ifNoneMatch: detailTag]).status == .notModified)
            try await web.processAll()
            let changed = try await client.execute(uri: "/gallery", method: .get, headers: [.ifNoneMatch: tag])
            #expect(changed.status == .ok && changed.headers[.eTag] != tag)
            let missing = try await client.execute(uri: "/images/99", method: .get)
            #expect(missing.status == .notFound && missing.headers[.eTag] == nil, "errors are not kept")
        }
    }

    @Test func theCacheStaysBoundedWhateverTheRequests() throws {
        let cache = PageCache(maxPages: 10, maxBytes: 1 << 20)
        let page = CachedPage(version: 1, contentType: "text/html", body: ByteBuffer(string: String(repeating: "card ", count: 2000)))
        for n in 0..<1000 { cache.keep(page, for: "/gallery?before=\(n)") }
        #expect(cache.page(for: "/gallery?before=999", version: 1) != nil)
        #expect(cache.page(for: "/gallery?before=0", version: 1) == nil, "the oldest went when it filled")
        #expect(cache.page(for: "/gallery?before=999", version: 2) == nil, "another version is another page")
        cache.keep(page, for: "/gallery?x=" + String(repeating: "a", count: 300))
        #expect(cache.page(for: "/gallery?x=" + String(repeating: "a", count: 300), version: 1) == nil, "long keys are not kept")
    }
}
