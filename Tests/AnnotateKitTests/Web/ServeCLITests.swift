import Foundation
import Testing

@testable import AnnotateKit

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `annotate serve` as operators run it: real processes on ephemeral ports, real HTTP.
@Suite struct ServeCLITests {
    /// Starts `serve` and waits for the address it prints.
    func start(_ binary: Binary, _ arguments: [String]) throws -> (Binary.Running, URL) {
        let server = binary.start(["serve", "--port", "0"] + arguments)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && server.process.isRunning {
            let out = (try? String(contentsOf: server.stdout, encoding: .utf8)) ?? ""
            if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("Listening on ") }),
                let url = URL(string: String(line.dropFirst("Listening on ".count).split(separator: " ")[0]))
            {
                return (server, url)
            }
            usleep(50_000)
        }
        let result = server.finish()
        throw HTTPTestError("serve did not start: \(result.stderr)")
    }

    @Test func twoInstancesOnOneDatabaseAndStoreShowEachOthersUploads() async throws {
        let binary = Binary(home: try Fixtures.temporaryDirectory("serve-two"))
        let (worker, a) = try start(binary, [])
        let (webOnly, b) = try start(binary, ["--no-process"])
        defer {
            for server in [worker, webOnly] where server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) }
        }
        // Upload through the web-only instance; the other one's worker finds it by polling.
        let first = try await HTTP.upload(to: b, files: [("fig-bowl.jpg", try Fixtures.sample("fig-bowl.jpg"))])
        #expect(first.status == 200, "\(first.text)")
        try await HTTP.waitUntilDone(id: 1, at: b)
        // And one through the processing instance, which wakes its own worker at once.
        let second = try await HTTP.upload(to: a, files: [("astronaut.jpg", try Fixtures.sample("astronaut.jpg"))])
        #expect(second.status == 200)
        try await HTTP.waitUntilDone(id: 2, at: a, timeout: 15)
        for server in [a, b] {
            let gallery = try await HTTP.get(server.appendingPathComponent("gallery"))
            #expect(gallery.text.contains("fig-bowl.jpg") && gallery.text.contains("astronaut.jpg"), "\(server)")
            #expect(gallery.text.contains(#"src="/media/1/thumbnail""#) && gallery.text.contains(#"src="/media/2/thumbnail""#))
            let thumbnail = try await HTTP.get(server.appendingPathComponent("media/2/thumbnail"))
            #expect(thumbnail.status == 200 && thumbnail.headers["Content-Type"] == "image/jpeg")
        }

        for server in [worker, webOnly] { kill(server.process.processIdentifier, SIGTERM) }
        for server in [worker, webOnly] {
            let result = server.finish()
            #expect(result.status == 0, "SIGTERM is a clean stop: \(result.stderr)")
        }
        let summary = try #require(try binary.run(["status", "--json"]).json().first)
        #expect((summary["thumbnail"] as? [String: Int])?["completed"] == 2)
        #expect((summary["annotation"] as? [String: Int])?["processing"] == 0)
    }

    @Test func sigtermDrainsAndReleasesWhatTheWorkerCouldNotFinish() async throws {
        // The answer must never arrive, nor the client give up, before the signal. This async test's
        // own steps can wait minutes for a thread while the full suite's blocking tests hold the
        // two-core pool (seen in CI: with 1 m timeouts all three attempts failed first), so both
        // the fake's delay and the request timeout are far longer than any such wait.
        let fake = try FakeGemini(script: [.slow(3600)])
        var binary = Binary(home: try Fixtures.temporaryDirectory("serve-stop"))
        binary.environment = ["ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": fake.key, "GEMINI_BASE_URL": fake.baseURL]
        let (server, url) = try start(binary, ["--grace", "1s", "--request-timeout", "2h"])
        let answer = try await HTTP.upload(to: url, files: [("astronaut.jpg", try Fixtures.sample("astronaut.jpg"))])
        #expect(answer.status == 200)
        let deadline = Date().addingTimeInterval(60)
        while fake.requests < 1 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(fake.requests >= 1, "the upload reached the worker")
        let signalled = Date()
        kill(server.process.processIdentifier, SIGTERM)
        let result = server.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Date().timeIntervalSince(signalled) < 10, "the grace period bounds the shutdown")
        #expect(!result.stderr.contains(fake.key))
        let record = try #require(try binary.run(["status", "--json", "1"]).json().first)
        #expect(record["annotation_status"] as? String == "pending", "released, not stuck in processing: \(record)")
        #expect((record["attempts"] as? [String: Int])?["annotation"] == 0, "a released attempt is not counted: \(record)")
        #expect(record["thumbnail_status"] as? String == "completed")
    }

    @Test func sigtermGoesLameDuckForTheDrainDelayAndSigintDoesNot() async throws {
        let binary = Binary(home: try Fixtures.temporaryDirectory("serve-drain"))
        let (server, url) = try start(binary, ["--drain-delay", "3s"])
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        #expect(try HTTP.curl([url.appendingPathComponent("health").absoluteString]).status == 200)

        let signalled = Date()
        kill(server.process.processIdentifier, SIGTERM)
        var health = try HTTP.curl([url.appendingPathComponent("health").absoluteString])
        while health.status == 200 && Date().timeIntervalSince(signalled) < 2 {
            health = try HTTP.curl([url.appendingPathComponent("health").absoluteString])
        }
        // Out of the balancer's rotation at once; every other route still answers, closing its connection.
        #expect(health.status == 503 && health.text.contains("draining"), "\(health.status) \(health.text)")
        let gallery = try HTTP.curl([url.appendingPathComponent("gallery").absoluteString])
        #expect(gallery.status == 200 && gallery.headers["connection"] == "close", "\(gallery.headers)")
        // An upload during the drain is kept for the other instances; this one's worker has stopped claiming.
        let photo = Fixtures.samples.appendingPathComponent("fig-bowl.jpg")
        let upload = try HTTP.curl([
            "-H", "Accept: application/json", "-F", "files=@\(photo.path);type=image/jpeg", url.appendingPathComponent("upload").absoluteString,
        ])
        #expect(upload.status == 200, "\(upload.text)")
        let result = server.finish()
        let took = Date().timeIntervalSince(signalled)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(took >= 3 && took < 15, "drained for the delay, then stopped: \(took) s")
        let record = try #require(try binary.run(["status", "--json", "1"]).json().first)
        #expect(record["thumbnail_status"] as? String == "pending", "left for another instance: \(record)")

        // At a terminal, Ctrl-C means now: no delay.
        let (interactive, _) = try start(binary, ["--drain-delay", "60s", "--no-process"])
        let interrupted = Date()
        kill(interactive.process.processIdentifier, SIGINT)
        #expect(interactive.finish().status == 0)
        #expect(Date().timeIntervalSince(interrupted) < 10)
    }

    @Test func headAnswersEveryReadRouteAsGetWouldWithoutTheBody() throws {
        // What curl -I, uptime checkers and some balancers send; HTTP requires it of every GET.
        let binary = Binary(home: try Fixtures.temporaryDirectory("serve-head"))
        #expect(try binary.run(["upload", "--process", Fixtures.samples.appendingPathComponent("astronaut.jpg").path]).status == 0)
        let (server, url) = try start(binary, ["--no-process"])
        defer {
            kill(server.process.processIdentifier, SIGKILL)
            _ = server.finish()
        }
        let routes = [
            "", "gallery", "images/1", "api/images", "api/images/1", "media/1/original", "media/1/thumbnail", "health", "metrics",
            "assets/gallery.css", "nothing-here",
        ]
        for route in routes {
            let address = url.appendingPathComponent(route).absoluteString
            for encoding in [[], ["-H", "Accept-Encoding: gzip"]] {
                let get = try HTTP.curl(encoding + [address])
                let head = try HTTP.curl(encoding + ["-I", address])
                #expect(head.status == get.status, "/\(route) \(encoding)")
                // /metrics counts the request itself, so only its length may differ.
                if route != "metrics" {
                    #expect(head.headers["content-length"] == String(get.body.count), "/\(route) \(encoding): \(head.headers)")
                    #expect(head.headers["etag"] == get.headers["etag"] && head.headers["content-type"] == get.headers["content-type"])
                }
            }
        }
        // Nothing follows the head on the wire (curl -I would not notice, the next request would).
        for route in routes {
            let wire = try HTTP.exchange("HEAD /\(route) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", port: url.port!)
            let end = try #require(wire.range(of: Data("\r\n\r\n".utf8)), "/\(route): \(wire.count) bytes")
            #expect(wire[end.upperBound...].isEmpty, "/\(route): \(String(decoding: wire, as: UTF8.self))")
        }
        // HEAD is a read: another site's page may ask for it, and nothing changes.
        let crossSite = try HTTP.curl(["-I", "-H", "Origin: http://evil.example", url.appendingPathComponent("gallery").absoluteString])
        #expect(crossSite.status == 200)
    }

    @Test func aTakenPortAndAMissingKeyAreClearErrors() throws {
        let binary = Binary(home: try Fixtures.temporaryDirectory("serve-errors"))
        let (server, url) = try start(binary, ["--no-process"])
        defer {
            kill(server.process.processIdentifier, SIGKILL)
            _ = server.finish()
        }
        let taken = try binary.run(["serve", "--port", String(url.port!)], timeout: 30)
        #expect(taken.status == 69, "\(taken.stderr)")
        #expect(taken.stderr.contains("cannot listen on 127.0.0.1:\(url.port!)"))

        var gemini = binary
        gemini.environment = ["ANNOTATE_ANNOTATOR": "gemini"]
        let noKey = try gemini.run(["serve", "--port", "0"], timeout: 30)
        #expect(noKey.status == 78 && noKey.stderr.contains("GEMINI_API_KEY"))
        let shortToken = try binary.run(["serve", "--port", "0", "--token", "abc"], timeout: 30)
        #expect(shortToken.status == 64 && shortToken.stderr.contains("at least 8"))
    }
}

struct HTTPTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Plain HTTP on loopback for the CLI tests.
enum HTTP {
    /// Sends `request` as written to 127.0.0.1:`port` and returns every byte until the server closes.
    static func exchange(_ request: String, port: Int) throws -> Data {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HTTPTestError("cannot connect to port \(port)") }
        let bytes = Array(request.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw HTTPTestError("cannot send to port \(port)") }
        var received = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { break }
            received.append(contentsOf: chunk[0..<n])
        }
        return received
    }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func send(_ request: URLRequest) async throws -> Answer {
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers["\(key)"] = "\(value)" }
        return Answer(status: http.statusCode, headers: headers, body: data)
    }

    /// `curl` with these arguments (it sends exactly the headers it is given); headers are read back lower-cased.
    static func curl(_ arguments: [String]) throws -> Answer {
        let directory = try Fixtures.temporaryDirectory("curl")
        let body = directory.appendingPathComponent("body"), head = directory.appendingPathComponent("head")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", body.path, "-D", head.path, "-w", "%{http_code}", "--max-time", "60"] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let status = Int(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) ?? 0
        process.waitUntilExit()
        var headers: [String: String] = [:]
        for line in ((try? String(contentsOf: head, encoding: .utf8)) ?? "").split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: headers, body: (try? Data(contentsOf: body)) ?? Data())
    }

    static func get(_ url: URL, headers: [String: String] = [:]) async throws -> Answer {
        var request = URLRequest(url: url)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return try await send(request)
    }

    static func upload(to server: URL, files: [(String, Data)], headers: [String: String] = [:]) async throws -> Answer {
        let boundary = "----annotate\(UUID().uuidString.prefix(8))"
        var body = Data()
        for (name, data) in files {
            body += Data(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\(name)\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
            body += data + Data("\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        var request = URLRequest(url: server.appendingPathComponent("upload"))
        request.httpMethod = "POST"
        request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        return try await send(request)
    }

    /// Polls the API until both of the image's tasks are completed.
    static func waitUntilDone(id: Int, at server: URL, timeout: TimeInterval = 40) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        // Asks once more after the deadline: a step starved of a thread past it must not fail unasked.
        while true {
            let answer = try await get(server.appendingPathComponent("api/images/\(id)"))
            last = answer.text
            if let record = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
                record["annotation_status"] as? String == "completed", record["thumbnail_status"] as? String == "completed"
            {
                return
            }
            guard Date() < deadline else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HTTPTestError("image \(id) was not processed within \(Int(timeout)) s: \(last)")
    }
}
