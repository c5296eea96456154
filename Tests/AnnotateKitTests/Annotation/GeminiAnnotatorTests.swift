import Foundation
import Logging
import Testing

@testable import AnnotateAnnotators
@testable import AnnotateCore
@testable import AnnotateHTTPClient
@testable import AnnotateImaging
@testable import AnnotateKit
@testable import AnnotateMetadata
@testable import AnnotatePipeline
@testable import AnnotateStorage

/// The Gemini client against a fake that checks every request as the real API would.
@Suite struct GeminiAnnotatorTests {
    static func annotator(
        _ fake: FakeGemini, key: String? = nil, model: String = "gemini-2.5-flash-lite",
        prompt: String = AnnotationPrompt.standard, timeout: Duration = .seconds(30), baseURL: String? = nil
    ) -> GeminiAnnotator {
        GeminiAnnotator(
            settings: .init(
                apiKey: Secret(key ?? fake.key), baseURL: URL(string: baseURL ?? fake.baseURL)!,
                common: .init(model: model, prompt: prompt, temperature: nil, timeout: timeout, previewSide: 768)),
            transport: TestTransports.fresh(connections: 8, readTimeout: timeout), pacer: nil, logger: .quiet)
    }

    static func input(_ name: String = "mountains-picos.jpg") async throws -> AnnotationInput {
        let original = try Fixtures.sample(name)
        let preview = try await VipsThumbnailer(spec: ThumbnailSpec()).render(original, thumbnail: false, previewSide: 768).preview
        return AnnotationInput(data: original, preview: preview, filename: name, contentType: "image/jpeg")
    }

    /// The error one scripted answer produces.
    func failure(_ behavior: FakeGemini.Behavior, timeout: Duration = .seconds(30)) async throws -> AnnotationError {
        let fake = try FakeGemini(script: [behavior])
        defer { fake.stop() }
        do {
            _ = try await Self.annotator(fake, timeout: timeout).annotate(try await Self.input())
        } catch let error as AnnotationError {
            #expect(fake.violations.isEmpty, "\(fake.violations)")
            return error
        }
        Issue.record("expected a failure")
        return .permanent("")
    }

    @Test func successSendsABoundedPreviewAndRecordsProvenance() async throws {
        let fake = try FakeGemini(script: [
            .success(caption: "This image shows **a mountain** path under cloud", tags: ["Mountains", "#hiking", "mountains"], tokens: 321)
        ])
        defer { fake.stop() }
        let annotation = try await Self.annotator(fake).annotate(try await Self.input())
        #expect(fake.violations.isEmpty, "\(fake.violations)")
        #expect(annotation.caption == "A mountain path under cloud.")
        #expect(annotation.tags == ["mountains", "hiking"])
        #expect(annotation.tokens == 321)
        #expect(annotation.model == "gemini-2.5-flash-lite")
        #expect(annotation.promptHash == AnnotationPrompt.hash(AnnotationPrompt.standard))
        let request = try #require(fake.observed.first)
        #expect(request.path == "/v1beta/models/gemini-2.5-flash-lite:generateContent")
        #expect(request.longSide == 640)  // 1280 px decoded at 1/2
        #expect(request.prompt == AnnotationPrompt.standard)
    }

    @Test func rateLimitHonoursRetryInfo() async throws {
        let error = try await failure(.rateLimited(retryDelay: "1.5s", daily: false))
        #expect(error.disposition == .transient(retryAfter: .milliseconds(1500)))
        #expect(error.reason.contains("HTTP 429 RESOURCE_EXHAUSTED"))
    }

    @Test func dailyQuotaStopsTheRun() async throws {
        let error = try await failure(.rateLimited(retryDelay: "30s", daily: true))
        #expect(error.disposition == .stopRun)
        #expect(error.reason.contains("daily quota"))
    }

    @Test func overloadIsRetried() async throws {
        let error = try await failure(.unavailable)
        #expect(error.disposition == .transient(retryAfter: nil))
        #expect(error.reason.contains("overloaded"))
    }

    @Test func permanentRefusalsFailAtOnceWithTheAPIMessage() async throws {
        let bad = try await failure(.badRequest)
        #expect(bad.disposition == .permanent && bad.reason.contains("HTTP 400 INVALID_ARGUMENT: Request contains an invalid argument."))
        let missing = try await failure(.notFound)
        #expect(missing.disposition == .permanent)
        #expect(missing.reason.contains("is not found") && missing.reason.contains("--model or GEMINI_MODEL_NAME"))
        let blocked = try await failure(.blocked)
        #expect(blocked.disposition == .permanent && blocked.reason == "Gemini blocked the request (blockReason SAFETY)")
        let truncated = try await failure(.maxTokensNoText)
        #expect(truncated.disposition == .permanent && truncated.reason.contains("MAX_TOKENS"), "\(truncated)")
        let malformed = try await failure(.malformed)
        #expect(malformed.disposition == .permanent && malformed.reason.hasPrefix("malformed response from Gemini"))
    }

    @Test func anInvalidKeyFailsAndIsNeverQuoted() async throws {
        let fake = try FakeGemini()
        defer { fake.stop() }
        let wrong = "AIzaWRONG-key-0123456789"
        do {
            _ = try await Self.annotator(fake, key: wrong).annotate(try await Self.input())
            Issue.record("expected a failure")
        } catch let error as AnnotationError {
            #expect(error.disposition == .permanent)
            #expect(error.reason.contains("API key not valid") && error.reason.contains("check GEMINI_API_KEY"))
            #expect(!error.reason.contains(wrong))
        }
    }

    @Test func slowAnswersTimeOutAndAreRetried() async throws {
        let error = try await failure(.slow(3), timeout: .seconds(1))
        #expect(error.disposition == .transient(retryAfter: nil))
        #expect(error.reason.contains("did not answer within 1s"))
    }

    @Test func anUnreachableAPIStopsTheRun() async throws {
        let fake = try FakeGemini()
        defer { fake.stop() }
        let annotator = Self.annotator(fake, baseURL: "http://127.0.0.1:\(unusedLoopbackPort())")
        do {
            _ = try await annotator.annotate(try await Self.input())
            Issue.record("expected a failure")
        } catch let error as AnnotationError {
            #expect(error.disposition == .stopRun)
            #expect(error.reason.contains("unreachable") && error.reason.contains("connection refused"))
        }
    }

    @Test func answersAreCleaned() throws {
        #expect(
            try AnnotationAnswer.parse("```json\n{\"caption\": \"the image depicts: a cat\", \"tags\": [\" Cat \"]}\n```")
                == .init(caption: "A cat.", tags: ["cat"]))
        #expect(try AnnotationAnswer.parse(#"{"description": "Dogs at a window", "tags": []}"#).caption == "Dogs at a window.")
        #expect(throws: AnnotationError.self) { try AnnotationAnswer.parse("I cannot help with that.") }
        #expect(throws: AnnotationError.self) { try AnnotationAnswer.parse(#"{"caption": "", "tags": ["x"]}"#) }
    }

    @Test func quotesAreRemovedOnlyWhenTheyWrapTheWholeCaption() {
        let cases: [(String, String)] = [
            (#"A picnic with a picture & "friends""#, #"A picnic with a picture & "friends"."#),
            (#""A dog asleep on a sofa.""#, "A dog asleep on a sofa."),
            ("“A dog on a sofa”", "A dog on a sofa."),
            (#""Tea" and "coffee" on a table"#, #""Tea" and "coffee" on a table."#),
            (#"The sign reads "OPEN""#, #"The sign reads "OPEN"."#),
            ("'Tis the season (for lights)", "'Tis the season (for lights)."),
            ("A room (with a view)", "A room (with a view)."),
            ("“Nested “quotes” inside”", "Nested “quotes” inside."),
            ("- **A bowl** of figs #fresh", "A bowl of figs #fresh."),
            (#"This image shows "a cat""#, "A cat."),
        ]
        for (answer, stored) in cases {
            #expect(AnnotationAnswer.cleanCaption(answer) == stored, "\(answer)")
        }
        for (answer, _) in cases {
            let caption = AnnotationAnswer.cleanCaption(answer)
            for (open, close) in [("(", ")"), ("“", "”")] {
                let balance = { (text: String) in text.filter { String($0) == open }.count - text.filter { String($0) == close }.count }
                #expect(balance(caption) == balance(answer), "no bracket or quote left unbalanced: \(answer) → \(caption)")
            }
            #expect(caption.filter { $0 == "\"" }.count % 2 == 0, "\(caption)")
        }
    }
}

@Suite struct AIPipelineTests {
    struct Setup {
        let metadata: SQLiteMetadataStore
        let store: FileObjectStore
        let ids: [Int64]

        func run(_ annotator: any Annotator, _ change: (inout PipelineOptions) -> Void = { _ in }) async throws -> RunSummary {
            var options = PipelineOptions()
            options.retryPolicy = .immediate
            options.annotationJobs = 4
            change(&options)
            return try await Pipeline(
                metadata: metadata, originals: store, thumbnails: store, annotator: annotator,
                thumbnailer: try VipsThumbnailer(spec: ThumbnailSpec()), logger: .quiet
            ).run(options) { _ in }
        }
    }

    func setup(_ names: [String] = ["mountains-picos.jpg", "sunset-exif8.jpg", "astronaut.jpg"]) async throws -> Setup {
        let directory = try Fixtures.temporaryDirectory("ai")
        let metadata = try SQLiteMetadataStore(path: directory.appendingPathComponent("annotate.db").path)
        let store = try FileObjectStore(root: directory.appendingPathComponent("objects"))
        let uploader = Uploader(metadata: metadata, store: store, limits: .defaults, headers: try VipsHeaderReader(), logger: .quiet)
        var ids: [Int64] = []
        for name in names {
            ids.append(
                try #require(try await uploader.upload(UploadCandidate(path: Fixtures.samples.appendingPathComponent(name).path, origin: .named)).id))
        }
        return Setup(metadata: metadata, store: store, ids: ids)
    }

    @Test func bothTasksCompleteAndTokensAddUp() async throws {
        let s = try await setup()
        let fake = try FakeGemini(script: [
            .success(caption: "One.", tags: ["a"], tokens: 100), .success(caption: "Two.", tags: ["b"], tokens: 200),
            .success(caption: "Three.", tags: ["c"], tokens: 300),
        ])
        defer { fake.stop() }
        let summary = try await s.run(GeminiAnnotatorTests.annotator(fake))
        #expect(summary.completed == [.annotation: 3, .thumbnail: 3])
        #expect(fake.violations.isEmpty)
        #expect(fake.observed.map(\.longSide).sorted() == [512, 512, 640])
        #expect(try await s.metadata.summary().tokens == 600)
        let records = try await s.metadata.allRecords(filter: .all)
        #expect(records.compactMap(\.tokens).reduce(0, +) == 600)
        #expect(records.allSatisfy { $0.model == "gemini-2.5-flash-lite" && $0.promptHash == AnnotationPrompt.hash(AnnotationPrompt.standard) })
        // The thumbnail made from the shared decode is still right, EXIF rotation included.
        let sunset = try #require(records.first { $0.filename == "sunset-exif8.jpg" })
        let thumbnail = try Vips.probe(try await s.store.get(ObjectKey(try #require(sunset.thumbnailKey))))
        #expect(thumbnail.width == 128 && thumbnail.height == 85)
    }

    @Test func transientFailuresAreRetriedHonouringTheServersDelay() async throws {
        let s = try await setup(["astronaut.jpg"])
        let fake = try FakeGemini(script: [.rateLimited(retryDelay: "0.4s", daily: false), .unavailable])
        defer { fake.stop() }
        let started = ContinuousClock.now
        let summary = try await s.run(GeminiAnnotatorTests.annotator(fake))
        #expect(ContinuousClock.now - started >= .milliseconds(400))
        #expect(summary.completed == [.annotation: 1, .thumbnail: 1] && summary.retried == 2)
        let record = try #require(try await s.metadata.record(id: s.ids[0]))
        #expect(record.annotationAttempts == 3 && record.annotationStatus == .completed && record.thumbnailAttempts == 1)
    }

    @Test func annotationFailuresNeverTouchTheThumbnail() async throws {
        let s = try await setup(["astronaut.jpg", "fig-bowl.jpg", "dandelions.jpg", "coffee-cup.webp"])
        let fake = try FakeGemini(script: [.badRequest, .blocked, .maxTokensNoText, .malformed])
        defer { fake.stop() }
        let summary = try await s.run(GeminiAnnotatorTests.annotator(fake)) { $0.annotationJobs = 1 }
        #expect(summary.failed == [.annotation: 4])
        #expect(summary.completed == [.thumbnail: 4])
        for record in try await s.metadata.allRecords(filter: .all) {
            #expect(record.annotationStatus == .failed && record.annotationAttempts == 1 && record.annotationError != nil)
            #expect(record.thumbnailStatus == .completed && record.thumbnailKey != nil)
        }
    }

    @Test func anUnreachableAPIStopsTheRunAndLeavesTasksPending() async throws {
        let s = try await setup(["astronaut.jpg", "fig-bowl.jpg"])
        let fake = try FakeGemini()
        fake.stop()
        let annotator = GeminiAnnotatorTests.annotator(fake, baseURL: "http://127.0.0.1:\(unusedLoopbackPort())")
        await #expect(throws: ServiceStopped.self) { try await s.run(annotator) }
        for record in try await s.metadata.allRecords(filter: .all) {
            #expect(record.annotationStatus == .pending && record.annotationAttempts == 0)
            #expect(record.thumbnailStatus != .processing)
        }
    }

    @Test func staleReannotatesExactlyWhatAnotherModelOrPromptMade() async throws {
        let s = try await setup()
        let fake = try FakeGemini()
        defer { fake.stop() }
        _ = try await s.run(GeminiAnnotatorTests.annotator(fake, model: "model-a"))
        _ = try await s.run(GeminiAnnotatorTests.annotator(fake, model: "model-b")) {
            $0.reprocess = true
            $0.ids = [s.ids[0]]
            $0.tasks = [.annotation]
        }
        let before = fake.requests
        let stale = try await s.run(GeminiAnnotatorTests.annotator(fake, model: "model-b")) { $0.stale = true }
        #expect(stale.completed == [.annotation: 2])
        #expect(fake.requests - before == 2)
        #expect(try await s.metadata.allRecords(filter: .all).allSatisfy { $0.model == "model-b" })
        // Nothing stale now; a new prompt makes every annotation stale.
        #expect(try await s.run(GeminiAnnotatorTests.annotator(fake, model: "model-b")) { $0.stale = true }.images == 0)
        let reprompted = try await s.run(GeminiAnnotatorTests.annotator(fake, model: "model-b", prompt: "Describe it.")) { $0.stale = true }
        #expect(reprompted.completed == [.annotation: 3])
    }
}
