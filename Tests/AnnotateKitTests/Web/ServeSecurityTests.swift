import Foundation
import HTTPTypes
import Testing

@testable import AnnotateKit
@testable import AnnotateWeb

#if canImport(Glibc)
import Glibc
#endif

/// What a hostile web page can make a browser send to `annotate serve`, and what the server must
/// then refuse; with the decisions themselves checked as values first.
@Suite struct WebSecurityPolicyTests {
    @Test func aLoopbackServerAnswersOnlyLoopbackNamesAndTheAllowedOnes() {
        let policy = HostPolicy(bindHost: "127.0.0.1", allowedHosts: ["Gallery.Example."]) { ["10.1.2.3"] }
        for allowed in [
            "localhost", "localhost:8080", "127.0.0.1:8080", "[::1]:8080", "[::1]", "LOCALHOST", "gallery.example",
            "gallery.example:443",
        ] {
            #expect(policy.allows(authority: allowed), "\(allowed)")
        }
        for refused in ["evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.evil.example", "10.1.2.3", "[::2]"] {
            #expect(!policy.allows(authority: refused), "\(refused)")
        }
        #expect(policy.allows(authority: nil), "HTTP/1.0 without Host comes from no browser page")
        #expect(HostPolicy(bindHost: "localhost", allowedHosts: []) { [] }.allows(authority: "127.0.0.1:9"))
        #expect(HostPolicy(bindHost: "::1", allowedHosts: []) { [] }.allows(authority: "[::1]:9"))
    }

    @Test func aWildcardServerAnswersItsInterfaceAddressesAndTheAllowedNames() {
        let policy = HostPolicy(bindHost: "0.0.0.0", allowedHosts: ["gallery.example"]) { ["127.0.0.1", "10.1.2.3", "fe80::1"] }
        #expect(policy.allows(authority: "10.1.2.3:8080"), "a load balancer's health check sends the instance address")
        #expect(policy.allows(authority: "[fe80::1]:8080"))
        #expect(policy.allows(authority: "gallery.example"))
        #expect(!policy.allows(authority: "localhost"), "only a loopback --host answers to localhost by itself")
        #expect(!policy.allows(authority: "10.9.9.9"))
        #expect(!policy.allows(authority: "evil.example"))
        let named = HostPolicy(bindHost: "web-1.internal", allowedHosts: []) { [] }
        #expect(named.allows(authority: "web-1.internal:8080") && !named.allows(authority: "evil.example"))
        let any = HostPolicy(bindHost: "0.0.0.0", allowedHosts: ["*"]) { [] }
        #expect(any.allows(authority: "whatever.example"))
    }

    @Test func writesFromAnotherSiteAreRefusedAndEverythingElsePasses() {
        func verdict(_ method: HTTPRequest.Method, origin: String? = nil, site: String? = nil) -> String? {
            CrossSiteWritePolicy.refusal(method: method, origin: origin, fetchSite: site, authority: "127.0.0.1:8080")
        }
        #expect(verdict(.post, origin: "http://evil.example") != nil)
        #expect(verdict(.post, origin: "null") != nil, "sandboxed frames send Origin: null")
        #expect(verdict(.post, origin: "null", site: "cross-site") != nil)
        #expect(verdict(.post, origin: "null", site: "same-origin") != nil, "Origin names no site: refused, as the contract says")
        #expect(verdict(.post, origin: "http://127.0.0.1:8081") != nil, "another port is another origin")
        #expect(verdict(.delete, origin: "http://evil.example") != nil, "every state-changing method")
        #expect(verdict(.put, site: "cross-site") != nil)
        #expect(verdict(.post, origin: "http://127.0.0.1:8080") == nil)
        #expect(verdict(.post, origin: "https://127.0.0.1:8080", site: "same-origin") == nil, "behind a TLS proxy")
        #expect(verdict(.post, site: "same-origin") == nil)
        #expect(verdict(.post, site: "none") == nil, "typed into the address bar or a bookmark")
        #expect(verdict(.post) == nil, "curl and scripts send neither header")
        #expect(verdict(.get, origin: "http://evil.example", site: "cross-site") == nil, "reads are not writes")
        #expect(verdict(.options, origin: "http://evil.example") == nil)
        #expect(CrossSiteWritePolicy.refusal(method: .post, origin: "http://a.example", fetchSite: nil, authority: nil) != nil)
    }

    @Test func gzipOnlyWhereTheClientAcceptsIt() {
        #expect(CompressionPolicy.acceptsGzip("gzip, deflate, br"))
        #expect(CompressionPolicy.acceptsGzip("br;q=1.0, gzip;q=0.8"))
        #expect(CompressionPolicy.acceptsGzip("*"))
        #expect(!CompressionPolicy.acceptsGzip("gzip;q=0"))
        #expect(!CompressionPolicy.acceptsGzip("*, gzip;q=0"))
        #expect(!CompressionPolicy.acceptsGzip("identity"))
        #expect(!CompressionPolicy.acceptsGzip(nil))
        #expect(CompressionPolicy.isCompressible(contentType: "text/html; charset=utf-8"))
        #expect(CompressionPolicy.isCompressible(contentType: "application/json; charset=utf-8"))
        #expect(CompressionPolicy.isCompressible(contentType: "text/css"))
        #expect(!CompressionPolicy.isCompressible(contentType: "image/jpeg"))
        #expect(!CompressionPolicy.isCompressible(contentType: nil))
    }
}

/// The same, as a browser would meet it: a real `serve` on loopback, real HTTP from curl (which
/// sends exactly the Host, Origin and Sec-Fetch-Site headers it is given).
@Suite struct ServeSecurityTests {
    typealias Answer = HTTP.Answer

    func curl(_ arguments: [String]) throws -> Answer { try HTTP.curl(arguments) }

    func upload(_ url: URL, _ extra: [String]) throws -> Answer {
        let photo = Fixtures.samples.appendingPathComponent("fig-bowl.jpg")
        return try curl(
            ["-H", "Accept: application/json", "-F", "files=@\(photo.path);type=image/jpeg"] + extra + [
                url.appendingPathComponent("upload").absoluteString
            ])
    }

    @Test func crossSiteUploadsAreRefusedEvenWithTheTokenAndChangeNothing() throws {
        let binary = Binary(home: try Fixtures.temporaryDirectory("serve-csrf"))
        let (server, url) = try ServeCLITests().start(binary, ["--no-process", "--token", "correct-horse-battery"])
        defer {
            kill(server.process.processIdentifier, SIGKILL)
            _ = server.finish()
        }
        // HTTP Basic credentials are ambient: a browser attaches them to another site's form post.
        let basic = ["-u", "any:correct-horse-battery"]

        let forged = try upload(url, basic + ["-H", "Origin: http://evil.example"])
        #expect(forged.status == 403, "\(forged.text)")
        #expect(forged.text.contains("another site"))
        let fetchMetadata = try upload(url, basic + ["-H", "Sec-Fetch-Site: cross-site"])
        #expect(fetchMetadata.status == 403, "\(fetchMetadata.text)")
        let nullOrigin = try upload(url, basic + ["-H", "Origin: null"])
        #expect(nullOrigin.status == 403)
        let html = try curl(
            basic + [
                "-H", "Origin: http://evil.example", "-F", "files=@\(Fixtures.samples.appendingPathComponent("fig-bowl.jpg").path)",
                url.appendingPathComponent("upload").absoluteString,
            ])
        #expect(html.status == 403 && html.headers["content-type"]?.hasPrefix("text/html") == true, "a page for a browser")
        let unknownRoute = try curl(
            basic + ["-X", "DELETE", "-H", "Origin: http://evil.example", url.appendingPathComponent("api/images/1").absoluteString])
        #expect(unknownRoute.status == 403 || unknownRoute.status == 404, "no route changes anything for another site")
        #expect(try binary.run(["status", "--json"]).json().first?["total"] as? Int == 0, "nothing was stored")

        let sameOrigin = try upload(url, basic + ["-H", "Origin: http://127.0.0.1:\(url.port!)", "-H", "Sec-Fetch-Site: same-origin"])
        #expect(sameOrigin.status == 200, "the server's own form: \(sameOrigin.text)")
        let script = try upload(url, basic)
        #expect(script.status == 200, "curl sends neither header: \(script.text)")
        #expect(try binary.run(["status", "--json"]).json().first?["total"] as? Int == 1, "one photo, the second a duplicate")
    }

    @Test func otherHostNamesAreRefusedUnlessAllowedAndPagesAreCompressed() throws {
        let binary = Binary(home: try Fixtures.temporaryDirectory("serve-host"))
        let (server, url) = try ServeCLITests().start(binary, ["--no-process", "--allowed-host", "gallery.example"])
        defer {
            kill(server.process.processIdentifier, SIGKILL)
            _ = server.finish()
        }
        let port = url.port!
        let gallery = url.appendingPathComponent("gallery").absoluteString

        // DNS rebinding: evil.example now resolves to 127.0.0.1, and the browser says so in Host.
        let rebound = try curl(["-H", "Host: evil.example:\(port)", gallery])
        #expect(rebound.status == 421, "\(rebound.text)")
        #expect(rebound.text.contains("--allowed-host evil.example"))
        let original = try curl(["-H", "Host: evil.example", url.appendingPathComponent("media/1/original").absoluteString])
        #expect(original.status == 421)
        for host in ["localhost:\(port)", "127.0.0.1:\(port)", "gallery.example", "GALLERY.example:\(port)"] {
            #expect(try curl(["-H", "Host: \(host)", gallery]).status == 200, "\(host)")
        }
        #expect(try curl(["-H", "Host: 127.0.0.1:\(port)", url.appendingPathComponent("health").absoluteString]).status == 200)
        // The page is kept now, and answered on the event loop: the check holds there too.
        #expect(try curl(["-H", "Host: evil.example:\(port)", gallery]).status == 421, "a kept page too")

        #expect(try upload(url, []).status == 200)
        let plain = try curl([gallery])
        #expect(plain.headers["content-encoding"] == nil && plain.headers["vary"] == "Accept-Encoding")
        let compressed = try curl(["-H", "Accept-Encoding: gzip", gallery])
        #expect(compressed.headers["content-encoding"] == "gzip", "\(compressed.headers)")
        #expect(compressed.body.count < plain.body.count / 2 && compressed.body.starts(with: [0x1f, 0x8b]))
        let decoded = try curl(["--compressed", gallery])
        #expect(decoded.text == plain.text, "the same page once decompressed")
        let api = try curl(["-H", "Accept-Encoding: gzip", url.appendingPathComponent("api/images").absoluteString])
        #expect(api.headers["content-encoding"] == "gzip")
        let thumbnail = try curl(["-H", "Accept-Encoding: gzip", url.appendingPathComponent("media/1/original").absoluteString])
        #expect(thumbnail.status == 200 && thumbnail.headers["content-encoding"] == nil, "images are sent as they are")
    }
}
