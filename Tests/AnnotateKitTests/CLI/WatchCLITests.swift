import Foundation
import Testing

@testable import AnnotateKit

#if canImport(Glibc)
import Glibc
#endif

/// `process --watch` as a long-running worker: it picks up work as it arrives, and SIGINT or
/// SIGTERM ends it cleanly — finishing what is in flight, or releasing it when the grace runs out.
@Suite struct WatchCLITests {
    let binary: Binary
    init() throws { binary = Binary(home: try Fixtures.temporaryDirectory("watch")) }

    func lines(_ worker: Binary.Running) -> [String] {
        ((try? String(contentsOf: worker.stdout, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func waitFor(_ count: Int, from worker: Binary.Running, timeout: TimeInterval = 60) {
        let deadline = Date().addingTimeInterval(timeout)
        while lines(worker).count < count && Date() < deadline && worker.process.isRunning { usleep(20_000) }
    }

    @Test func picksUpNewWorkUntilSIGTERMThenExitsZero() throws {
        let worker = binary.start(["process", "--watch", "--json", "--jobs", "1"])
        usleep(500_000)
        let first = try Fixtures.distinctCopies(of: "astronaut.jpg", count: 3, into: try Fixtures.temporaryDirectory("first"))
        #expect(try binary.run(["upload"] + first.map(\.path)).status == 0)
        waitFor(6, from: worker)
        #expect(lines(worker).count == 6)
        // Idle for a while (the polls back off), then more work arrives.
        usleep(2_500_000)
        let second = try Fixtures.distinctCopies(of: "fig-bowl.jpg", count: 2, into: try Fixtures.temporaryDirectory("second"))
        #expect(try binary.run(["upload"] + second.map(\.path)).status == 0)
        waitFor(10, from: worker)
        #expect(lines(worker).count == 10)

        kill(worker.process.processIdentifier, SIGTERM)
        let result = worker.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("stopping"))
        let summary = try #require(try binary.run(["status", "--json"]).json().first)
        #expect((summary["annotation"] as? [String: Int]) == ["pending": 0, "processing": 0, "completed": 5, "failed": 0])
    }

    @Test func workStillInFlightWhenTheGraceEndsIsReleasedNotFailed() throws {
        let fake = try FakeGemini(script: [.slow(20), .slow(20)])
        var gemini = binary
        gemini.environment = ["ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": fake.key, "GEMINI_BASE_URL": fake.baseURL]
        let photos = ["astronaut.jpg", "fig-bowl.jpg"].map { Fixtures.samples.appendingPathComponent($0).path }
        #expect(try gemini.run(["upload"] + photos).status == 0)
        let worker = gemini.start(["process", "--watch", "--json", "--grace", "1s"])
        waitFor(2, from: worker)  // the two thumbnails; the annotations hang at the slow fake
        let deadline = Date().addingTimeInterval(20)
        while fake.requests < 2 && Date() < deadline { usleep(20_000) }
        let signalled = Date()
        kill(worker.process.processIdentifier, SIGINT)
        let result = worker.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Date().timeIntervalSince(signalled) < 10, "the grace period bounds the shutdown")
        let records = try binary.run(["status", "--json", "1", "2"]).json()
        #expect(records.map { $0["annotation_status"] as? String } == ["pending", "pending"])
        #expect(records.map { ($0["attempts"] as? [String: Int])?["annotation"] } == [0, 0])
        #expect(records.map { $0["thumbnail_status"] as? String } == ["completed", "completed"])
    }

    @Test func aBatchRunStoppedBySIGINTReleasesItsTasksAndSaysSo() throws {
        let fake = try FakeGemini(script: [.slow(20)])
        var gemini = binary
        gemini.environment = ["ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": fake.key, "GEMINI_BASE_URL": fake.baseURL]
        #expect(try gemini.run(["upload", Fixtures.samples.appendingPathComponent("astronaut.jpg").path]).status == 0)
        let worker = gemini.start(["process", "--json", "--only", "annotation", "--grace", "500ms"])
        let deadline = Date().addingTimeInterval(20)
        while fake.requests < 1 && Date() < deadline { usleep(20_000) }
        kill(worker.process.processIdentifier, SIGINT)
        let result = worker.finish()
        #expect(result.status == 130)
        let record = try #require(try binary.run(["status", "--json", "1"]).json().first)
        #expect(record["annotation_status"] as? String == "pending")
    }

    @Test func aSecondSignalQuitsAtOnceWithoutWaitingForTheGrace() throws {
        let fake = try FakeGemini(script: [.slow(30)])
        var gemini = binary
        gemini.environment = ["ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": fake.key, "GEMINI_BASE_URL": fake.baseURL]
        #expect(try gemini.run(["upload", Fixtures.samples.appendingPathComponent("astronaut.jpg").path]).status == 0)
        let worker = gemini.start(["process", "--watch", "--json", "--only", "annotation", "--grace", "60s"])
        let deadline = Date().addingTimeInterval(20)
        while fake.requests < 1 && Date() < deadline { usleep(20_000) }
        kill(worker.process.processIdentifier, SIGINT)
        // The first signal is heard (its notice printed) before the second is sent.
        let heard = Date().addingTimeInterval(10)
        while !((try? String(contentsOf: worker.stderr, encoding: .utf8)) ?? "").contains("signal again") && Date() < heard { usleep(20_000) }
        let signalled = Date()
        kill(worker.process.processIdentifier, SIGINT)
        let result = worker.finish()
        #expect(Date().timeIntervalSince(signalled) < 5, "the second signal does not wait out the 60 s grace")
        #expect(result.status == 128 + SIGINT, "\(result.stderr)")
        #expect(result.stderr.contains("signal again to quit at once"))
    }
}
