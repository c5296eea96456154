import Foundation
import Testing

@testable import AnnotateAnnotators
@testable import AnnotateKit

/// The AI annotators through the built binary, against the fake Gemini on loopback.
@Suite struct AnnotatorCLITests {
    let binary: Binary
    init() throws { binary = Binary(home: try Fixtures.temporaryDirectory("ai-cli")) }

    func gemini(_ fake: FakeGemini, key: String? = nil) -> Binary {
        var binary = binary
        binary.environment = ["ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": key ?? fake.key, "GEMINI_BASE_URL": fake.baseURL]
        return binary
    }

    let samples = ["astronaut.jpg", "fig-bowl.jpg"].map { Fixtures.samples.appendingPathComponent($0).path }

    @Test func doctorChecksTheModelURLThatProcessUses() throws {
        let fake = try FakeGemini()
        let binary = gemini(fake)
        // The API's own `models/` prefix is accepted by both, and both ask for the same model.
        let doctor = try binary.run(["doctor", "--json", "--model", "models/gemini-2.5-flash-lite"])
        let annotator = try doctor.json().first { $0["check"] as? String == "annotator" }
        #expect(annotator?["passed"] as? Bool == true, "\(doctor.stdout)")
        #expect(try binary.run(["upload", "--process", "--model", "models/gemini-2.5-flash-lite", samples[0]]).status == 0)
        #expect(fake.violations.isEmpty, "\(fake.violations)")
        #expect(Set(fake.observed.map(\.path)) == ["/v1beta/models/gemini-2.5-flash-lite:generateContent"])
        #expect(
            GeminiAnnotator.modelURL(baseURL: URL(string: "https://g.example")!, model: "models/m").absoluteString
                == "https://g.example/v1beta/models/m")
    }

    @Test func aMissingKeyExits78BeforeAnyWork() throws {
        var binary = binary
        binary.environment = ["ANNOTATE_ANNOTATOR": ""]
        let run = try binary.run(["upload", "--process"] + samples)
        #expect(run.status == 78)
        #expect(run.stderr.contains("GEMINI_API_KEY"))
        #expect(run.stdout.isEmpty)
        #expect(try binary.run(["status", "--json"]).json().first?["total"] as? Int == 0)
        #expect(try binary.run(["upload"] + samples).status == 0)
        #expect(try binary.run(["process", "--annotator", "gemini"]).status == 78)
        #expect(try binary.run(["process", "--annotator", "openai"]).status == 78)
        // Thumbnails alone need no key.
        #expect(try binary.run(["process", "--only", "thumbnail"]).status == 0)
        let counts = try #require(try binary.run(["status", "--json"]).json().first)
        #expect((counts["annotation"] as? [String: Int])?["pending"] == 2)
        #expect((counts["thumbnail"] as? [String: Int])?["completed"] == 2)
    }

    @Test func processWithGeminiRecordsCaptionsTagsAndTokens() throws {
        let fake = try FakeGemini(script: [
            .success(caption: "An astronaut in an orange suit.", tags: ["astronaut", "portrait"], tokens: 270),
            .success(caption: "A fig in a red bowl.", tags: ["fig", "bowl"], tokens: 280),
        ])
        defer { fake.stop() }
        let binary = gemini(fake)
        let run = try binary.run(["upload", "--process", "--json", "--annotation-jobs", "1"] + samples)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(fake.violations.isEmpty, "\(fake.violations)")
        let summary = try #require(try binary.run(["status", "--json"]).json().first)
        #expect(summary["tokens"] as? Int == 550)
        let records = try binary.run(["status", "--json", "1", "2"]).json()
        #expect(Set(records.compactMap { $0["annotation"] as? String }) == ["An astronaut in an orange suit.", "A fig in a red bowl."])
        #expect(records.allSatisfy { $0["model"] as? String == "gemini-2.5-flash-lite" })
        #expect(Set(records.compactMap { $0["tokens"] as? Int }) == [270, 280])
        let text = try binary.run(["status"]).stdout
        #expect(text.contains("tokens used: 550"))
    }

    @Test func anUnreachableAPIExits69AndLeavesTasksPending() throws {
        var binary = binary
        binary.environment = [
            "ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": "k-123456", "GEMINI_BASE_URL": "http://127.0.0.1:\(unusedLoopbackPort())",
        ]
        #expect(try binary.run(["upload"] + samples).status == 0)
        let run = try binary.run(["process"])
        #expect(run.status == 69)
        #expect(run.stderr.contains("unreachable") && run.stderr.contains("left pending"))
        let annotation = try #require(try binary.run(["status", "--json"]).json().first?["annotation"] as? [String: Int])
        #expect(annotation["pending"] == 2 && annotation["failed"] == 0 && annotation["processing"] == 0)
    }

    @Test func theFlexTierIsAskedForAndAShedRequestIsRetried() throws {
        // The first flex request is shed (503 UNAVAILABLE, as a busy flex tier answers); the retry succeeds.
        let fake = try FakeGemini(script: [.unavailable])
        let binary = gemini(fake)
        #expect(try binary.run(["upload", samples[0]]).status == 0)
        let flex = try binary.run(["process", "--service-tier", "flex", "--json"])
        #expect(flex.status == 0, "\(flex.stderr)")
        #expect(try flex.json().filter { $0["task"] as? String == "annotation" }.first?["status"] as? String == "completed")
        #expect(fake.violations.isEmpty, "\(fake.violations)")
        #expect(fake.observed.map(\.serviceTier) == ["flex", "flex"], "sent at the top level of both attempts")
        // The standard tier sends nothing; the environment sets it as well as the flag.
        #expect(try binary.run(["upload", samples[1]]).status == 0)
        #expect(try binary.run(["process"]).status == 0)
        #expect(fake.observed.last?.serviceTier == nil)
        var byEnvironment = binary
        byEnvironment.environment["ANNOTATE_SERVICE_TIER"] = "turbo"
        let refused = try byEnvironment.run(["process"])
        #expect(refused.status == 78 && refused.stderr.contains("standard or flex"), "\(refused.stderr)")
    }

    @Test func theKeyNeverAppearsEvenInAVerboseFailingRun() throws {
        let fake = try FakeGemini(script: [.badRequest])
        defer { fake.stop() }
        let secret = "AIzaSECRET-never-print-me-42"
        let binary = gemini(fake, key: secret)
        let run = try binary.run(["upload", "--process", "--verbose", "--max-attempts", "1"] + samples)
        #expect(run.status == 1)
        #expect(run.stdout.contains("failed"))
        #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret))
        #expect(run.stderr.contains("calling the Gemini API"), "verbose logging was on")
        let status = try binary.run(["status", "--json", "--failed", "--verbose"])
        #expect(!status.stdout.contains(secret) && !status.stderr.contains(secret))
        let bad = try binary.run(["process", "--retry-failed", "--verbose", "--temperature", "7"])
        #expect(bad.status == 64 && !bad.stderr.contains(secret))
    }

    @Test func staleReannotatesAfterAModelChange() throws {
        let fake = try FakeGemini()
        defer { fake.stop() }
        let binary = gemini(fake)
        #expect(try binary.run(["upload", "--process", "--model", "gemini-old"] + samples).status == 0)
        let before = fake.requests
        let stale = try binary.run(["process", "--stale", "--json", "--model", "gemini-new"])
        #expect(stale.status == 0)
        #expect(fake.requests - before == 2)
        let tasks = try stale.json().filter { $0["summary"] == nil }
        #expect(tasks.count == 2 && tasks.allSatisfy { $0["task"] as? String == "annotation" })
        #expect(try binary.run(["process", "--stale", "--json", "--model", "gemini-new"]).json().count == 1)
    }

    @Test func theFailureLedgerClassifiesEachFailedTask() throws {
        // One image the API cannot serve right now (503, one attempt allowed), one that cannot be decoded.
        let fake = try FakeGemini(script: [.unavailable])
        let binary = gemini(fake)
        let broken = try Fixtures.temporaryDirectory("ledger").appendingPathComponent("broken.jpg")
        try Fixtures.truncatedJPEG().write(to: broken)
        #expect(try binary.run(["upload", "--jobs", "1", samples[0], broken.path]).status == 0)
        #expect(try binary.run(["process", "--max-attempts", "1", "--annotation-jobs", "1"]).status == 1)

        let ledger = try binary.run(["status", "--failed"])
        let lines = ledger.lines
        #expect(lines.contains { $0.hasPrefix("#1  astronaut.jpg  annotation  transient  1 attempt  ") && $0.contains("503") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("#2  broken.jpg  thumbnail  permanent  1 attempt  ") }, "\(lines)")
        let records = try binary.run(["status", "--failed", "--json"]).json()
        #expect(records.map { $0["id"] as? Int } == [1, 2])
        #expect(records[0]["annotation_error_class"] as? String == "transient")
        #expect(records[1]["thumbnail_error_class"] as? String == "permanent")
        #expect(records[0]["thumbnail_error_class"] is NSNull)
    }
}
