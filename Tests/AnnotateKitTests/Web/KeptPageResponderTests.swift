import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

@testable import AnnotateCore
@testable import AnnotateWeb

/// Kept pages answered on the event loop: the same answer the router gives, only for requests the
/// router's checks would pass, in the order requests came, counted in the metrics. The channel
/// tests run the handler in `serve`'s own HTTP/1 pipeline (codec and encoder), bytes in, bytes out.
@Suite struct KeptPageResponderTests {
    /// One connection's pipeline as `serve` builds it, over a cache holding `/gallery` at version 1.
    final class Connection {
        let channel = EmbeddedChannel()
        let version = NIOLockedValueBox<Int64?>(1)
        let drain = DrainState()
        let metrics = WebMetrics()
        let page: CachedPage

        init(token: String? = nil) throws {
            let pages = PageCache()
            page = CachedPage(
                version: 1, contentType: "text/html; charset=utf-8", body: ByteBuffer(string: String(repeating: "<p>kept</p>", count: 80)),
                route: "/gallery", alwaysSent: SecurityHeaders<BasicRequestContext>.fields(imageOrigins: []))
            pages.keep(page, for: "/gallery")
            let version = version
            let rules = KeptPageRules(
                pages: pages, hosts: HostPolicy(bindHost: "127.0.0.1", allowedHosts: [], interfaceAddresses: { [] }),
                token: token.map { TokenCheck(token: Secret($0)) }, drain: drain, metrics: metrics,
                version: { version.withLockedValue { $0 } })
            let sync = channel.pipeline.syncOperations
            try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
            try sync.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try sync.addHandler(KeptPageResponder(rules: rules))
        }

        /// Sends raw request bytes; returns what went out on the wire.
        func send(_ requests: String) throws -> String {
            try channel.writeInbound(ByteBuffer(string: requests))
            var out = ""
            while let data = try channel.readOutbound(as: IOData.self) {
                guard case .byteBuffer(let buffer) = data else { continue }
                out += String(buffer: buffer)
            }
            return out
        }

        /// The request heads that went on to the router.
        func handedOn() throws -> [String] {
            var paths: [String] = []
            while let part = try channel.readInbound(as: HTTPRequestPart.self) {
                if case .head(let head) = part { paths.append("\(head.method) \(head.path ?? "")") }
            }
            return paths
        }

        /// The router answering one request (`nil`: a HEAD's answer, without a body).
        func routerAnswers(_ text: String?) throws {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "\(text?.utf8.count ?? 0)"])))
            if let text { try channel.writeOutbound(HTTPResponsePart.body(ByteBuffer(string: text))) }
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
    }

    /// A response as it arrived: status, headers in order, body.
    struct WireResponse {
        let status: Int
        let headers: [(String, String)]
        let body: String

        static func parse(_ text: String) -> [WireResponse] {
            var rest = Substring(text)
            var responses: [WireResponse] = []
            while let end = rest.range(of: "\r\n\r\n") {
                let lines = rest[..<end.lowerBound].components(separatedBy: "\r\n")
                let status = Int(lines[0].split(separator: " ")[1]) ?? 0
                let headers = lines.dropFirst().map { line -> (String, String) in
                    let colon = line.firstIndex(of: ":")!
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                let length = Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
                let bodyStart = end.upperBound
                let bodyEnd = rest.utf8.index(bodyStart, offsetBy: length)
                responses.append(WireResponse(status: status, headers: headers, body: String(rest[bodyStart..<bodyEnd])))
                rest = rest[bodyEnd...]
            }
            return responses
        }

        subscript(name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    static func get(_ path: String, _ headers: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: localhost:8080\r\n\(headers)\r\n"
    }

    @Test func aKeptPageIsAnsweredOnTheLoopWithEveryHeaderTheRouterAdds() throws {
        let connection = try Connection()
        let answers = WireResponse.parse(try connection.send(Self.get("/gallery")))
        #expect(try connection.handedOn().isEmpty, "nothing went on to the router")
        let answer = try #require(answers.first)
        #expect(answers.count == 1 && answer.status == 200 && answer.body == String(buffer: connection.page.body))
        #expect(answer["Content-Length"] == "\(connection.page.body.readableBytes)")
        #expect(answer["ETag"] == connection.page.etag && answer["Vary"] == "Accept-Encoding")
        #expect(answer["Cache-Control"] == "private, no-cache" && answer["Content-Type"] == "text/html; charset=utf-8")
        #expect(answer["Content-Security-Policy"]?.hasPrefix("default-src 'none'") == true)
        #expect(answer["X-Content-Type-Options"] == "nosniff" && answer["X-Frame-Options"] == "DENY")
        #expect(answer["Referrer-Policy"] == "same-origin")
        let date = try #require(answer["Date"])
        #expect(date.hasSuffix(" GMT") && date.count == 29, "\(date)")

        let gzip = try #require(WireResponse.parse(try connection.send(Self.get("/gallery", "Accept-Encoding: gzip, br\r\n"))).first)
        #expect(gzip["Content-Encoding"] == "gzip" && gzip["ETag"] == connection.page.gzipETag)
        #expect(gzip["Content-Length"] == "\(connection.page.gzipped?.readableBytes ?? -1)")

        let notModified = try #require(
            WireResponse.parse(try connection.send(Self.get("/gallery", "If-None-Match: \(connection.page.etag)\r\n"))).first)
        #expect(notModified.status == 304 && notModified.body.isEmpty && notModified["ETag"] == connection.page.etag)
        #expect(notModified["Content-Length"] == nil && notModified["Content-Encoding"] == nil)

        // A GET with a body: the body is read and dropped, the next request still understood.
        let withBody = try connection.send("GET /gallery HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello" + Self.get("/gallery"))
        #expect(WireResponse.parse(withBody).map(\.status) == [200, 200])
        #expect(try connection.handedOn().isEmpty)

        let exposition = connection.metrics.registry.emitToString()
        #expect(exposition.contains(#"http_requests_total{route="/gallery",method="GET",status="200"} 4"#), "\(exposition)")
        #expect(exposition.contains(#"http_requests_total{route="/gallery",method="GET",status="304"} 1"#))
    }

    @Test func whatTheRouterWouldTreatOtherwiseGoesOnToIt() throws {
        let connection = try Connection()
        let requests = [
            "POST /gallery HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n",
            "HEAD /gallery HTTP/1.1\r\nHost: localhost\r\n\r\n",
            Self.get("/gallery?status=failed"),
            "GET /gallery HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        ]
        for request in requests {
            #expect(try connection.send(request).isEmpty, "\(request)")
            #expect(try connection.handedOn().count == 1, "\(request)")
            try connection.routerAnswers(request.hasPrefix("HEAD") ? nil : "from the router")
            _ = try connection.send("")
        }
        // A write since the page was made, or a version that cannot be read at once.
        for version: Int64? in [2, nil] {
            connection.version.withLockedValue { $0 = version }
            #expect(try connection.send(Self.get("/gallery")).isEmpty)
            #expect(try connection.handedOn() == ["GET /gallery"])
            try connection.routerAnswers("from the router")
            _ = try connection.send("")
        }
        connection.version.withLockedValue { $0 = 1 }
        #expect(WireResponse.parse(try connection.send(Self.get("/gallery"))).first?.status == 200, "back at the kept version")
        // Draining: the router adds Connection: close.
        connection.drain.begin()
        #expect(try connection.send(Self.get("/gallery")).isEmpty)
        #expect(try connection.handedOn() == ["GET /gallery"])
        // The client's last request: the router closes the connection after it.
        let closing = try Connection()
        #expect(try closing.send(Self.get("/gallery", "Connection: close\r\n")).isEmpty)
        #expect(try closing.handedOn() == ["GET /gallery"])
    }

    @Test func withPrivateReadsOnlyTheTokenIsAnsweredOnTheLoop() throws {
        let connection = try Connection(token: "s3cret-token")
        for authorization in ["", "Authorization: Bearer wrong\r\n", "Authorization: Basic \(Data("u:wrong".utf8).base64EncodedString())\r\n"] {
            #expect(try connection.send(Self.get("/gallery", authorization)).isEmpty, "\(authorization)")
            #expect(try connection.handedOn().count == 1, "the router's check answers 401")
            try connection.routerAnswers("401")
            _ = try connection.send("")
        }
        for authorization in [
            "Authorization: Bearer s3cret-token\r\n", "Authorization: Basic \(Data("any:s3cret-token".utf8).base64EncodedString())\r\n",
        ] {
            #expect(WireResponse.parse(try connection.send(Self.get("/gallery", authorization))).first?.status == 200)
        }
        #expect(try connection.handedOn().isEmpty)
    }

    @Test func answersLeaveInTheOrderTheRequestsCame() throws {
        let connection = try Connection()
        // Pipelined: the first goes to the router, so the kept page behind it must wait its turn.
        #expect(try connection.send(Self.get("/health") + Self.get("/gallery")).isEmpty)
        #expect(try connection.handedOn() == ["GET /health", "GET /gallery"])
        try connection.routerAnswers("first")
        try connection.routerAnswers("second")
        #expect(WireResponse.parse(try connection.send("")).map(\.body) == ["first", "second"])
        // Once the router has answered everything, kept pages are answered here again, and a
        // kept page ahead of a routed request simply goes first.
        let out = try connection.send(Self.get("/gallery") + Self.get("/health"))
        #expect(WireResponse.parse(out).map(\.status) == [200])
        #expect(try connection.handedOn() == ["GET /health"])
    }

    @Test func theDateHeaderIsIMFFixdate() {
        #expect(HTTPDateHeader.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDateHeader.format(1_796_161_378) == "Tue, 01 Dec 2026 21:42:58 GMT")
    }

    /// The real `serve` over real HTTP (curl): the second request for a page, answered on the
    /// event loop, is the first, made by the router, byte for byte but for the date; with
    /// `--private` a kept page still needs the token; and a write by another process (`annotate
    /// upload`) is in the very next answer.
    @Test func theRealServerAnswersKeptPagesAsTheRouterFreshAndGuarded() throws {
        let binary = Binary(home: try Fixtures.temporaryDirectory("serve-kept"))
        let token = "kept-page-token"
        #expect(try binary.run(["upload", Fixtures.samples.appendingPathComponent("fig-bowl.jpg").path]).status == 0)
        let (server, url) = try ServeCLITests().start(binary, ["--no-process", "--token", token, "--private"])
        defer {
            kill(server.process.processIdentifier, SIGKILL)
            _ = server.finish()
        }
        let withToken = ["-H", "Authorization: Bearer \(token)"]
        for route in ["gallery", "images/1", "api/images", "api/images/1"] {
            let address = url.appendingPathComponent(route).absoluteString
            for encoding in [[], ["-H", "Accept-Encoding: gzip"]] {
                let made = try HTTP.curl(withToken + encoding + [address])
                let kept = try HTTP.curl(withToken + encoding + [address])
                var madeHeaders = made.headers
                var keptHeaders = kept.headers
                madeHeaders["date"] = nil
                keptHeaders["date"] = nil
                #expect(made.status == 200 && kept.status == 200, "\(route)")
                #expect(madeHeaders == keptHeaders && made.body == kept.body, "\(route) \(encoding)")
                #expect(kept.headers["etag"] != nil && kept.headers["content-security-policy"] != nil)
            }
            #expect(try HTTP.curl([address]).status == 401, "\(route) is kept, and still needs the token")
        }
        let gallery = url.appendingPathComponent("gallery").absoluteString
        #expect(!(try HTTP.curl(withToken + [gallery]).text.contains("astronaut.jpg")))
        #expect(try binary.run(["upload", Fixtures.samples.appendingPathComponent("astronaut.jpg").path]).status == 0)
        #expect(try HTTP.curl(withToken + [gallery]).text.contains("astronaut.jpg"), "the other process's upload, at once")
    }

    @Test func aPageTheRouterKeptIsNeverAnsweredStaleFromTheLoop() throws {
        // The router keeps pages at the version it reads; the loop checks them against the one it
        // reads. Requests that only the router sees (here `Connection: close`) make it read more
        // often than the loop; the two must still agree, or a record changed by another process
        // would match a page kept before the change (the sequence below showed "pending" forever).
        let binary = Binary(home: try Fixtures.temporaryDirectory("serve-kept-fresh"))
        #expect(try binary.run(["upload", Fixtures.samples.appendingPathComponent("fig-bowl.jpg").path]).status == 0)
        let (server, url) = try ServeCLITests().start(binary, ["--no-process"])
        defer {
            kill(server.process.processIdentifier, SIGKILL)
            _ = server.finish()
        }
        let record = url.appendingPathComponent("api/images/1").absoluteString
        let gallery = url.appendingPathComponent("gallery").absoluteString
        func status() throws -> String? {
            let answer = try HTTP.curl([record])
            let json = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
            return json?["annotation_status"] as? String
        }
        #expect(try status() == "pending")  // made by the router
        #expect(try status() == "pending")  // answered on the loop
        for (n, photo) in ["astronaut.jpg", "sunset-exif8.jpg"].enumerated() {
            #expect(try binary.run(["upload", Fixtures.samples.appendingPathComponent(photo).path]).status == 0)
            let routerOnly = try HTTP.curl(["-H", "Connection: close", gallery])
            #expect(routerOnly.status == 200 && routerOnly.text.contains(photo), "round \(n)")
        }
        #expect(try status() == "pending")
        #expect(try binary.run(["process", "--only", "annotation", "1"]).status == 0)
        #expect(try status() == "completed", "the other process's change, at once")
    }
}
