import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AnnotateCore
@testable import AnnotateImaging
@testable import AnnotateKit
@testable import AnnotatePipeline
@testable import AnnotateWeb

/// Every route through Hummingbird's router test harness: status codes, headers, bodies and errors.
@Suite struct WebRouterTests {
    @Test func pagesCarryTheSecurityHeadersAndTheFormPostsMultipart() async throws {
        let web = try WebFixture()
        try await web.test { client in
            let home = try await client.execute(uri: "/", method: .get)
            #expect(home.status == .ok)
            #expect(
                home.text.contains(#"enctype="multipart/form-data""#) && home.text.contains(#"action="/upload""#) && home.text.contains("multiple"))
            let policy = try #require(home.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'") && policy.contains("script-src 'self'"))
            #expect(!policy.contains("unsafe-inline"))
            #expect(home.headers[.xContentTypeOptions] == "nosniff")
            #expect(policy.contains("style-src 'self'") && home.text.contains(#"<link rel="stylesheet" href="/assets/gallery.css">"#))
            let style = try await client.execute(uri: "/assets/gallery.css", method: .get)
            #expect(style.status == .ok && style.headers[.contentType]?.hasPrefix("text/css") == true && style.text.contains(".card"))
            let script = try await client.execute(uri: "/assets/gallery.js", method: .get)
            #expect(script.status == .ok && script.headers[.contentType]?.hasPrefix("text/javascript") == true)
            #expect(script.text.contains("/api/images/"))
        }
    }

    @Test func uploadsGoThroughTheSameChecksAsTheCommandLine() async throws {
        let web = try WebFixture()
        let photo = try Fixtures.sample("astronaut.jpg"), png = try Fixtures.sample("cat-chelsea.png")
        try await web.test { client in
            let answer = try await client.upload([("astronaut.jpg", photo), ("cat.png", png), ("notes.txt", Data("hello".utf8))])
            #expect(answer.status == .ok)
            let results = try #require(try answer.json()["results"] as? [[String: Any]])
            #expect(results.map { $0["status"] as? String } == ["uploaded", "uploaded", "rejected"])
            #expect(Set(results[2].keys) == ["file", "status", "id", "reason"], "the shape of upload --json")
            #expect(results[2]["reason"] as? String == "not an image: its bytes look like text/plain")
            #expect(results[0]["file"] as? String == "astronaut.jpg")
            // The same bytes again: a duplicate naming the first record.
            let again = try await client.upload([("copy.jpg", photo)])
            let duplicate = try #require((try again.json()["results"] as? [[String: Any]])?.first)
            #expect(duplicate["status"] as? String == "duplicate" && duplicate["id"] as? Int == results[0]["id"] as? Int)
        }
        let record = try #require(try await web.components.metadata.record(id: 1))
        #expect(record.filename == "astronaut.jpg" && record.contentType == "image/jpeg" && record.annotationStatus == .pending)
        #expect(try await web.components.originals.get(ObjectKey(record.originalKey)) == photo)
    }

    @Test func refusedUploadsSayWhy() async throws {
        let web = try WebFixture(flags: [.maxUploadMB: "1"])
        try await web.test { client in
            // Not an image at all: 415 naming what it is.
            let pdf = try await client.upload([("paper.pdf", Data("%PDF-1.4\n%%EOF\n".utf8))])
            #expect(pdf.status == .unsupportedMediaType)
            #expect(pdf.text.contains("application/pdf"))
            // An image over the pixel limit: refused with the reason (422), not a 415.
            let bomb = try await client.upload([("bomb.png", Fixtures.pngBomb())])
            #expect(bomb.status == .unprocessableContent && bomb.text.contains("max-pixels"))
            // Over --max-upload-mb: 413 (here streamed without a Content-Length check first).
            let big = try await client.upload([("big.jpg", Data(repeating: 0xFF, count: 1_200_000))])
            #expect(big.status == .contentTooLarge && big.text.contains("1 MB"))
            // Not multipart, no boundary, no files.
            let plain = try await client.execute(
                uri: "/upload", method: .post, headers: [.contentType: "text/plain", .accept: "application/json"],
                body: ByteBuffer(string: "x"))
            #expect(plain.status == .unsupportedMediaType && plain.text.contains("multipart/form-data"))
            let noBoundary = try await client.execute(
                uri: "/upload", method: .post, headers: [.contentType: "multipart/form-data", .accept: "application/json"],
                body: ByteBuffer(string: "x"))
            #expect(noBoundary.status == .badRequest && noBoundary.text.contains("boundary"))
            var fieldsOnly = MultipartForm()
            fieldsOnly.addField("caption", "none")
            fieldsOnly.addFile("", Data())  // a file input left empty
            let empty = try await client.execute(uri: "/upload", method: .post, headers: fieldsOnly.headers(), body: fieldsOnly.body)
            #expect(empty.status == .badRequest && empty.text.contains("no files"))
            let garbage = try await client.execute(
                uri: "/upload", method: .post,
                headers: [.contentType: "multipart/form-data; boundary=xyz", .accept: "application/json"],
                body: ByteBuffer(bytes: (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }))
            #expect(garbage.status == .badRequest, "bytes that never reach a boundary hold no files")
        }
        #expect(try await web.components.metadata.summary().total == 0)
        // Nothing is left behind in the temporary folder.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: web.app.temporaryDirectory.path)
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func aBrowserFormPostIsRedirectedToTheGalleryAndNamesAreEscapedThere() async throws {
        let web = try WebFixture()
        // Browsers send a file's own name, which cannot hold "/", so the attack is an element, not a path.
        let name = "<img src=x onerror=alert('x')>\u{1B}[31m.jpg"
        try await web.test { client in
            var form = MultipartForm()
            form.addFile(name, try Fixtures.sample("fig-bowl.jpg"), contentType: "image/jpeg")
            let posted = try await client.execute(uri: "/upload", method: .post, headers: form.headers(json: false), body: form.body)
            #expect(posted.status == .seeOther && posted.headers[.location] == "/gallery")
            let gallery = try await client.execute(uri: "/gallery", method: .get)
            #expect(gallery.status == .ok)
            #expect(!gallery.text.contains("<img src=x"))
            #expect(
                gallery.text.contains("&lt;img src=x onerror=alert(&#39;x&#39;)&gt;"),
                "\(gallery.text.components(separatedBy: "class=\"name\"").dropFirst().first?.prefix(200) ?? "")")
            #expect(gallery.text.contains(#"data-annotation="pending""#) && gallery.text.contains(#"src="/assets/gallery.js""#))
            // A mixed form (one refused) shows a page listing each file rather than redirecting.
            var mixed = MultipartForm()
            mixed.addFile("ok.jpg", try Fixtures.sample("dandelions.jpg"))
            mixed.addFile("bad.txt", Data("text".utf8))
            let page = try await client.execute(uri: "/upload", method: .post, headers: mixed.headers(json: false), body: mixed.body)
            #expect(page.status == .ok && page.text.contains("1 of 2 files were accepted") && page.text.contains("bad.txt"))
        }
        let record = try #require(try await web.components.metadata.record(id: 1))
        #expect(record.filename == name, "the record keeps the sender's name as sent")
        #expect(!record.originalKey.contains("<") && !record.originalKey.contains("\u{1B}"))
    }

    @Test func aRouteAskedWithAMethodItDoesNotTakeIs405NamingTheOnesItDoes() async throws {
        let web = try WebFixture()
        try await web.test { client in
            #expect(try await client.upload([("astronaut.jpg", try Fixtures.sample("astronaut.jpg"))]).status == .ok)
            // Not "there is nothing at /api/images/1": the record is there; DELETE is what is not.
            let delete = try await client.execute(uri: "/api/images/1", method: .delete)
            #expect(delete.status == .methodNotAllowed && delete.headers[.allow] == "GET, HEAD, OPTIONS")
            #expect(try delete.json()["error"] as? String == "DELETE is not answered at /api/images/1; it takes GET, HEAD, OPTIONS")
            let get = try await client.execute(uri: "/upload", method: .get)
            #expect(get.status == .methodNotAllowed && get.headers[.allow] == "POST, OPTIONS")
            #expect(get.text.contains("GET is not answered at /upload; it takes POST, OPTIONS"), "an HTML page for a browser")
            let post = try await client.execute(uri: "/gallery", method: .post)
            #expect(post.status == .methodNotAllowed && post.headers[.allow] == "GET, HEAD, OPTIONS")
            let options = try await client.execute(uri: "/media/1/original", method: .options)
            #expect(options.status == .noContent && options.headers[.allow] == "GET, HEAD, OPTIONS")
            #expect(try await client.execute(uri: "/api/images/1", method: .get).status == .ok, "GET still answers")
            #expect(try await client.execute(uri: "/nothing-here", method: .delete).status == .notFound, "unknown paths stay 404")
        }
        #expect(try await web.components.metadata.record(id: 1) != nil, "nothing was deleted")
    }

    @Test func galleryAndAPIPageNewestFirstByKeyset() async throws {
        let web = try WebFixture()
        let folder = try Fixtures.temporaryDirectory("many")
        let files = try Fixtures.distinctCopies(of: "astronaut.jpg", count: 55, into: folder)
        _ = try await web.components.uploader().upload(files.map { UploadCandidate(path: $0.path, origin: .named) }, jobs: 4) { _ in }
        try await web.test { client in
            let first = try await client.execute(uri: "/gallery", method: .get)
            #expect(first.status == .ok)
            #expect(first.text.components(separatedBy: #"<li class="card""#).count - 1 == 50)
            #expect(first.text.contains(#"href="/gallery?before=6""#) && first.text.contains(#"id="image-55""#))
            let second = try await client.execute(uri: "/gallery?before=6", method: .get)
            #expect(second.text.components(separatedBy: #"<li class="card""#).count - 1 == 5)
            #expect(
                !second.text.contains(#"rel="next""#) && second.text.contains(#"rel="prev""#),
                "\(second.text.components(separatedBy: "<nav class=\"pages\">").last?.prefix(300) ?? "")")

            var ids: [Int] = []
            var cursor: Int?
            repeat {
                let page = try await client.execute(uri: "/api/images?limit=20" + (cursor.map { "&cursor=\($0)" } ?? ""), method: .get)
                #expect(page.status == .ok && page.headers[.contentType]?.hasPrefix("application/json") == true)
                let body = try page.json()
                ids += (body["images"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
                cursor = body["next_cursor"] as? Int
            } while cursor != nil
            #expect(ids == Array((1...55).reversed()))

            for bad in ["/api/images?limit=0", "/api/images?cursor=abc", "/api/images?status=done", "/gallery?before=-1"] {
                let answer = try await client.execute(uri: bad, method: .get)
                #expect(answer.status == .badRequest, "\(bad)")
            }
            let pending = try await client.execute(uri: "/api/images?status=pending&limit=500", method: .get)
            #expect((try pending.json()["images"] as? [Any])?.count == 55)
            let completed = try await client.execute(uri: "/api/images?status=completed", method: .get)
            #expect((try completed.json()["images"] as? [Any])?.count == 0)
        }
    }

    @Test func oneRecordIsTheStatusJSONShape() async throws {
        let web = try WebFixture()
        try await web.test { client in
            try await client.upload([("astronaut.jpg", try Fixtures.sample("astronaut.jpg"))])
            try await web.processAll()
            let answer = try await client.execute(uri: "/api/images/1", method: .get)
            let record = try answer.json()
            let expected: Set<String> = [
                "id", "filename", "sha256", "content_type", "size", "width", "height", "annotation", "tags", "model",
                "annotation_status", "annotation_error", "annotation_error_class", "thumbnail_status", "thumbnail_error",
                "thumbnail_error_class", "s3_key_original", "s3_key_thumbnail", "attempts", "tokens", "uploaded_at", "updated_at",
                "input_tokens", "output_tokens", "service_tier", "cost_usd", "batch_job",
            ]
            #expect(Set(record.keys) == expected)
            #expect(record["annotation_status"] as? String == "completed" && record["thumbnail_status"] as? String == "completed")
            let page = try await client.execute(uri: "/images/1", method: .get)
            #expect(page.status == .ok && page.text.contains(#"src="/media/1/original""#) && page.text.contains("astronaut.jpg"))
            for (uri, json) in [
                ("/images/999", false), ("/images/abc", false), ("/api/images/999", true), ("/nowhere", false), ("/api/nowhere", true),
            ] {
                let missing = try await client.execute(uri: uri, method: .get)
                #expect(missing.status == .notFound, "\(uri)")
                #expect(missing.headers[.contentType]?.hasPrefix(json ? "application/json" : "text/html") == true, "\(uri)")
                #expect(missing.headers[.contentSecurityPolicy] != nil, "error pages carry the headers too")
                if json { #expect((try missing.json()["error"] as? String)?.isEmpty == false) }
            }
        }
    }

    @Test func mediaIsStreamedWithValidatorsAndRanges() async throws {
        let web = try WebFixture()
        let photo = try Fixtures.sample("dandelions.jpg")
        try await web.test { client in
            try await client.upload([("dandelions.jpg", photo)])
            let early = try await client.execute(uri: "/media/1/thumbnail", method: .get)
            #expect(early.status == .notFound && early.text.contains("no thumbnail yet"))
            try await web.processAll()

            let original = try await client.execute(uri: "/media/1/original", method: .get)
            #expect(original.status == .ok && Data(buffer: original.body) == photo)
            #expect(original.headers[.contentType] == "image/jpeg" && original.headers[.acceptRanges] == "bytes")
            #expect(original.headers[.cacheControl]?.contains("max-age") == true && original.headers[.lastModified] != nil)
            let etag = try #require(original.headers[.eTag])
            let again = try await client.execute(uri: "/media/1/original", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified && again.body.readableBytes == 0)

            let piece = try await client.execute(uri: "/media/1/original", method: .get, headers: [.range: "bytes=10-19"])
            #expect(piece.status == .partialContent && Data(buffer: piece.body) == photo[10...19])
            #expect(piece.headers[.contentRange] == "bytes 10-19/\(photo.count)")
            let tail = try await client.execute(uri: "/media/1/original", method: .get, headers: [.range: "bytes=-5"])
            #expect(Data(buffer: tail.body) == photo.suffix(5))
            let outside = try await client.execute(uri: "/media/1/original", method: .get, headers: [.range: "bytes=\(photo.count)-"])
            #expect(outside.status == .rangeNotSatisfiable && outside.headers[.contentRange] == "bytes */\(photo.count)")
            let stale = try await client.execute(uri: "/media/1/original", method: .get, headers: [.range: "bytes=0-9", .ifRange: "\"old\""])
            #expect(stale.status == .ok && stale.body.readableBytes == photo.count)

            let thumbnail = try await client.execute(uri: "/media/1/thumbnail", method: .get)
            #expect(thumbnail.status == .ok && thumbnail.headers[.contentType] == "image/jpeg")
            #expect(try Vips.probe(Data(buffer: thumbnail.body)).width == 128)

            for uri in [
                "/media/1/secret", "/media/1/../../../../etc/passwd", "/media/..%2F..%2Fetc%2Fpasswd/original", "/media/0/original",
                "/media/2/original",
            ] {
                let refused = try await client.execute(uri: uri, method: .get)
                #expect(refused.status == .notFound, "\(uri)")
                #expect(!refused.text.contains("root:"), "\(uri)")
            }
        }
    }

    @Test func theTokenGuardsWritesAndWithPrivateReadsToo() async throws {
        let token = "s3cret-token-for-tests"
        let open = try WebFixture(flags: [.token: token])
        let photo = try Fixtures.sample("astronaut.jpg")
        try await open.test { client in
            let anonymous = try await client.upload([("a.jpg", photo)])
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[values: .wwwAuthenticate].contains { $0.hasPrefix("Basic") })
            #expect(!anonymous.text.contains(token))
            let wrong = try await client.upload([("a.jpg", photo)], headers: [.authorization: "Bearer not-the-token"])
            #expect(wrong.status == .unauthorized)
            let bearer = try await client.upload([("a.jpg", photo)], headers: [.authorization: "Bearer \(token)"])
            #expect(bearer.status == .ok)
            let basic = "Basic " + Data("anyone:\(token)".utf8).base64EncodedString()
            let viaBasic = try await client.upload([("b.png", try Fixtures.sample("cat-chelsea.png"))], headers: [.authorization: basic])
            #expect(viaBasic.status == .ok)
            #expect(try await client.execute(uri: "/gallery", method: .get).status == .ok, "reads are open without --private")
        }
        let closed = try WebFixture(flags: [.token: token, .isPrivate: "true"])
        try await closed.test { client in
            for uri in ["/", "/gallery", "/api/images", "/images/1", "/media/1/original", "/assets/gallery.js"] {
                let refused = try await client.execute(uri: uri, method: .get)
                #expect(refused.status == .unauthorized, "\(uri)")
            }
            let allowed = try await client.execute(uri: "/gallery", method: .get, headers: [.authorization: "Bearer \(token)"])
            let health = try await client.execute(uri: "/health", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(allowed.status == .ok && health.status == .ok && metrics.status == .ok)
        }
    }

    @Test func healthNamesTheFailingPartAndMetricsCountRequestsAndTasks() async throws {
        let web = try WebFixture()
        try await web.test { client in
            let healthy = try await client.execute(uri: "/health", method: .get)
            #expect(healthy.status == .ok)
            #expect(try healthy.json()["status"] as? String == "ok")
            try await client.upload([("astronaut.jpg", try Fixtures.sample("astronaut.jpg"))])
            _ = try await client.execute(uri: "/gallery", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains(#"http_requests_total{route="/gallery",method="GET",status="200"} 1"#), "\(metrics.text)")
            #expect(metrics.text.contains(#"http_request_duration_seconds_bucket{route="/upload""#))
            #expect(metrics.text.contains(#"annotate_tasks{task="annotation",status="pending"} 1"#))
            #expect(metrics.text.contains("annotate_images 1"))
            #expect(metrics.text.contains("annotate_tokens_used 0"))

            // An annotation billed 280 in and 20 out at 2.5 Flash-Lite's standard rates: $0.000036.
            let metadata = web.components.metadata
            _ = try await metadata.claim(
                ClaimRequest(worker: "w", tasks: [.annotation], ids: nil, limit: 1, lease: .seconds(60), maxAttempts: 3), at: Date())
            let annotation = Annotation(
                caption: "c", tags: [], model: "gemini-2.5-flash-lite", tokens: 300, inputTokens: 280, outputTokens: 20, serviceTier: .standard)
            _ = try await metadata.record(TaskOutcome(id: 1, task: .annotation, worker: "w", result: .annotated(annotation)), at: Date())
            let priced = try await client.execute(uri: "/metrics", method: .get)
            #expect(
                priced.text.contains(#"annotate_cost_usd_total{model="gemini-2.5-flash-lite",service_tier="standard"} 3.6e-05"#), "\(priced.text)")
            let record = try await client.execute(uri: "/api/images/1", method: .get)
            #expect(try record.json()["cost_usd"] as? Double == 0.000036)

            try FileManager.default.removeItem(at: web.home.appendingPathComponent("objects"))
            let broken = try await client.execute(uri: "/health", method: .get)
            #expect(broken.status == .serviceUnavailable)
            let body = try broken.json()
            #expect(body["database"] as? String == "ok")
            #expect((body["store"] as? String)?.contains("store failed") == true, "\(body)")
        }
    }
}
