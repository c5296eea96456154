import Foundation
import Testing

@testable import AnnotateAnnotators
@testable import AnnotateKit
@testable import AnnotatePipeline

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

    /// Each annotation keeps its split and tier; `status` prices them (the fake bills 280 in and
    /// 20 out per call): $0.000036 at 2.5 Flash-Lite's standard rates, half on flex; a replaced
    /// annotation stays in the total; the config file's prices win.
    @Test func statusPricesEveryAnnotationByModelAndTier() throws {
        let fake = try FakeGemini()
        let binary = gemini(fake)
        #expect(try binary.run(["upload"] + samples).status == 0)
        #expect(try binary.run(["process", "--limit", "1"]).status == 0)
        #expect(try binary.run(["process", "--service-tier", "flex"]).status == 0)
        let records = try binary.run(["status", "--json", "1", "2"]).json()
        #expect(records.map { $0["service_tier"] as? String } == ["standard", "flex"])
        #expect(records.allSatisfy { $0["input_tokens"] as? Int == 280 && $0["output_tokens"] as? Int == 20 })
        #expect(records.map { $0["cost_usd"] as? Double } == [0.000036, 0.000018])
        var summary = try #require(try binary.run(["status", "--json"]).json().first)
        #expect(summary["cost_usd"] as? Double == 0.000054)
        let lines = try #require(summary["cost_by_model"] as? [[String: Any]])
        #expect(lines.map { $0["service_tier"] as? String } == ["standard", "flex"])
        #expect(lines.map { $0["cost_usd"] as? Double } == [0.000036, 0.000018])
        #expect(lines.allSatisfy { $0["model"] as? String == "gemini-2.5-flash-lite" && $0["annotations"] as? Int == 1 })
        let text = try binary.run(["status"]).stdout
        #expect(text.contains("cost so far: $0.0000540"), "\(text)")
        #expect(try binary.run(["status", "2"]).stdout.contains("cost        $0.0000180"))

        // Re-annotated with 2.5 Flash ((280 × 0.30 + 20 × 2.50) / 1M each): the old ones stay paid for.
        #expect(try binary.run(["process", "--stale", "--model", "gemini-2.5-flash"]).status == 0)
        summary = try #require(try binary.run(["status", "--json"]).json().first)
        #expect(summary["cost_usd"] as? Double == 0.000322)
        #expect(try binary.run(["status", "--json", "1"]).json().first?["cost_usd"] as? Double == 0.000134)

        let config = try Fixtures.temporaryDirectory("prices").appendingPathComponent("annotate.toml")
        try "[prices.\"gemini-2.5-flash\"]\ninput = 1.0\noutput = 1.0\n".write(to: config, atomically: true, encoding: .utf8)
        summary = try #require(try binary.run(["status", "--json", "--config", config.path]).json().first)
        #expect(summary["cost_usd"] as? Double == 0.000654, "2 × 300 tokens at $1/M, plus the 2.5 Flash-Lite ones")
    }

    /// `--dry-run` claims nothing and calls nothing; its output estimate comes from the recorded
    /// answers once there are some, and every selection option narrows it as it would the run.
    @Test func aDryRunEstimatesWithoutSpending() throws {
        let fake = try FakeGemini()
        let binary = gemini(fake)
        #expect(try binary.run(["upload"] + samples).status == 0)
        let dry = try binary.run(["process", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let estimate = try #require(try dry.json().first)
        #expect(estimate["images"] as? Int == 2 && estimate["annotations"] as? Int == 2)
        #expect(estimate["estimated_output_tokens"] as? Int == 2 * DryRun.defaultOutputTokens)
        let input = try #require(estimate["estimated_input_tokens"] as? Int)
        #expect(input > 2 * 258, "a tile per preview at least, plus the prompt")
        let cost = try #require(estimate["estimated_cost_usd"] as? [String: Double])
        #expect(Set(cost.keys) == ["standard", "batch", "flex"])
        #expect(cost["batch"] == cost["flex"] && abs(cost["standard"]! - 2 * cost["batch"]!) < 1e-6)
        #expect(fake.requests == 0)
        let counts = try #require(try binary.run(["status", "--json"]).json().first?["annotation"] as? [String: Int])
        #expect(counts["pending"] == 2 && counts["processing"] == 0)

        #expect(try binary.run(["process", "--dry-run", "--json", "--limit", "1"]).json().first?["images"] as? Int == 1)
        // --count-tokens asks the free count for the first image and scales the input by it.
        let counted = try #require(try binary.run(["process", "--dry-run", "--json", "--count-tokens"]).json().first)
        let sample = try #require(counted["counted_sample"] as? [String: Int])
        #expect(sample["id"] == 1 && fake.countCalls == 1 && fake.requests == 0)
        let factor = Double(sample["counted_input_tokens"]!) / Double(sample["rule_input_tokens"]!)
        #expect(counted["estimated_input_tokens"] as? Int == Int((Double(input) * factor).rounded()))
        #expect(try binary.run(["process", "--count-tokens"]).status == 64)
        let thumbnails = try #require(try binary.run(["process", "--dry-run", "--json", "--only", "thumbnail"]).json().first)
        #expect(thumbnails["annotations"] as? Int == 0 && (thumbnails["estimated_cost_usd"] as? [String: Double])?["standard"] == 0)
        #expect(try binary.run(["process"]).status == 0)
        #expect(try binary.run(["process", "--dry-run", "--json"]).json().first?["images"] as? Int == 0)
        // After the run, the answers' recorded average (20 tokens) replaces the schema's guess.
        let stale = try #require(try binary.run(["process", "--dry-run", "--json", "--stale", "--model", "gemini-2.5-flash"]).json().first)
        #expect(
            stale["images"] as? Int == 2 && stale["estimated_output_tokens"] as? Int == 2 * DryRun.defaultOutputTokens,
            "no answers from this model yet")
        let again = try #require(try binary.run(["process", "--dry-run", "--json", "--reprocess", "1"]).json().first)
        #expect(again["images"] as? Int == 1 && again["estimated_output_tokens"] as? Int == 20)
        let text = try binary.run(["process", "--dry-run", "--reprocess", "--model", "private-llm"]).stdout
        #expect(text.contains("would process 2 images") && text.contains("add [prices.\"private-llm\"]"), "\(text)")
        #expect(fake.requests == 2, "only the real run called the API")
        #expect(try binary.run(["process", "--dry-run", "--watch"]).status == 64)
        let unknown = try binary.run(["process", "--dry-run", "--json", "--reprocess", "1", "99"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no image with id 99"), "\(unknown.stderr)")
        #expect(try unknown.json().first?["images"] as? Int == 1)
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
