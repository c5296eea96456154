import Foundation
import Testing

@testable import AnnotateAnnotators
@testable import AnnotateCore
@testable import AnnotateHTTPClient
@testable import AnnotateKit

@Suite struct OpenAIAnnotatorTests {
    static func annotator(_ fake: FakeOpenAI, key: String? = nil, timeout: Duration = .seconds(30), baseURL: String? = nil) -> OpenAIAnnotator {
        OpenAIAnnotator(
            settings: .init(
                baseURL: URL(string: baseURL ?? fake.baseURL)!, apiKey: (key ?? fake.key).map(Secret.init),
                common: .init(
                    model: "llava-test", prompt: AnnotationPrompt.standard, temperature: 0.2,
                    timeout: timeout, previewSide: 768)),
            transport: TestTransports.fresh(connections: 4, readTimeout: timeout), pacer: nil, logger: .quiet)
    }

    func outcome(_ behavior: FakeOpenAI.Behavior, timeout: Duration = .seconds(30)) async throws -> Result<Annotation, AnnotationError> {
        let fake = try FakeOpenAI(key: "sk-local-test", script: [behavior])
        defer { fake.stop() }
        do {
            let annotation = try await Self.annotator(fake, timeout: timeout).annotate(try await GeminiAnnotatorTests.input())
            #expect(fake.violations.isEmpty, "\(fake.violations)")
            return .success(annotation)
        } catch let error as AnnotationError {
            #expect(fake.violations.isEmpty, "\(fake.violations)")
            return .failure(error)
        }
    }

    func failure(_ behavior: FakeOpenAI.Behavior, timeout: Duration = .seconds(30)) async throws -> AnnotationError {
        guard case .failure(let error) = try await outcome(behavior, timeout: timeout) else {
            Issue.record("expected a failure")
            return .permanent("")
        }
        return error
    }

    @Test func successWithFencedJSONAndTokens() async throws {
        let result = try await outcome(
            .success(content: "```json\n{\"caption\": \"In this image, two dogs look out\", \"tags\": [\"Dogs\"]}\n```", tokens: 140))
        let annotation = try result.get()
        #expect(annotation.caption == "Two dogs look out.")
        #expect(annotation.tags == ["dogs"] && annotation.tokens == 140 && annotation.model == "llava-test")
    }

    @Test func retriesRateLimitsAndServerErrorsHonouringRetryAfter() async throws {
        #expect(try await failure(.status(429, retryAfter: "2")).disposition == .transient(retryAfter: .seconds(2)))
        #expect(try await failure(.status(503, retryAfter: nil)).disposition == .transient(retryAfter: nil))
        #expect(try await failure(.slow(3), timeout: .seconds(1)).disposition == .transient(retryAfter: nil))
    }

    @Test func refusalsFailAtOnce() async throws {
        let badKey = try await failure(.status(401, retryAfter: nil))
        #expect(badKey.disposition == .permanent && badKey.reason.contains("check OPENAI_API_KEY"))
        let missing = try await failure(.status(404, retryAfter: nil))
        #expect(missing.disposition == .permanent && missing.reason.contains("OPENAI_MODEL"))
        #expect(try await failure(.status(400, retryAfter: nil)).disposition == .permanent)
        let filtered = try await failure(.contentFilter).reason
        #expect(filtered.contains("content_filter"), "\(filtered)")
        let cut = try await failure(.lengthNoText).reason
        #expect(cut.contains("token limit"), "\(cut)")
        let malformed = try await failure(.malformed).reason
        #expect(malformed.hasPrefix("malformed response"), "\(malformed)")
    }

    @Test func aWrongKeyIsRefusedAndNeverQuoted() async throws {
        let fake = try FakeOpenAI(key: "sk-right")
        defer { fake.stop() }
        do {
            _ = try await Self.annotator(fake, key: "sk-WRONG-secret-value").annotate(try await GeminiAnnotatorTests.input())
            Issue.record("expected a failure")
        } catch let error as AnnotationError {
            #expect(error.disposition == .permanent && !error.reason.contains("sk-WRONG-secret-value"))
        }
    }

    @Test func anUnreachableServerStopsTheRun() async throws {
        let fake = try FakeOpenAI()
        defer { fake.stop() }
        do {
            _ = try await Self.annotator(fake, baseURL: "http://127.0.0.1:\(unusedLoopbackPort())/v1").annotate(
                try await GeminiAnnotatorTests.input())
            Issue.record("expected a failure")
        } catch let error as AnnotationError {
            #expect(error.disposition == .stopRun)
        }
    }

    @Test func theCLIAnnotatesThroughALocalServer() throws {
        let fake = try FakeOpenAI()
        defer { fake.stop() }
        var binary = Binary(home: try Fixtures.temporaryDirectory("openai-cli"))
        binary.environment = ["OPENAI_BASE_URL": fake.baseURL, "OPENAI_MODEL": "llava-test"]
        let run = try binary.run([
            "upload", "--process", "--annotator", "openai", "--json", Fixtures.samples.appendingPathComponent("dogs-window.jpg").path,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(fake.violations.isEmpty && fake.longSides == [640])
        let record = try #require(try binary.run(["status", "--json", "1"]).json().first)
        #expect(record["annotation"] as? String == "A local caption." && record["model"] as? String == "llava-test" && record["tokens"] as? Int == 90)
        // The flex tier is asked for as OpenAI names it; the standard tier sends nothing.
        #expect(fake.serviceTiers == [nil])
        let flex = try binary.run([
            "upload", "--process", "--annotator", "openai", "--service-tier", "flex", Fixtures.samples.appendingPathComponent("fig-bowl.jpg").path,
        ])
        #expect(flex.status == 0 && fake.serviceTiers == [nil, "flex"], "\(flex.stderr)")
        // Each records the tier the server says it billed, and the usage split.
        let records = try binary.run(["status", "--json", "1", "2"]).json()
        #expect(records.map { $0["service_tier"] as? String } == ["standard", "flex"])
        #expect(records.allSatisfy { $0["input_tokens"] as? Int == 80 && $0["output_tokens"] as? Int == 10 })
        #expect(records.allSatisfy { $0["cost_usd"] is NSNull }, "no built-in price for a local model")
        // Such a server offers no token count: said once, the estimate stays the rule's.
        let dry = try binary.run(["process", "--annotator", "openai", "--dry-run", "--count-tokens", "--reprocess", "--json"])
        #expect(dry.status == 0 && dry.stderr.contains("no count was had"), "\(dry.stderr)")
        #expect(try dry.json().first?["counted_sample"] == nil)
    }
}
