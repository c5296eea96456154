import Foundation
import Testing

@testable import AnnotateAnnotators
@testable import AnnotateCore
@testable import AnnotatePipeline

/// The Batch API's wire as the facts file gives it, read without a server.
@Suite struct GeminiBatchWireTests {
    func snapshot(_ json: String) throws -> BatchJobSnapshot {
        try GeminiBatchClient.snapshot(JSONDecoder().decode(GeminiBatchWire.Operation.self, from: Data(json.utf8)))
    }

    @Test func statesAreReadBySuffixAndCountsAsStringsOmittedWhenZero() throws {
        let running = try snapshot(
            #"{"name": "batches/a", "metadata": {"state": "BATCH_STATE_RUNNING", "batchStats": {"requestCount": "5", "pendingRequestCount": "5"}}}"#)
        #expect(running == BatchJobSnapshot(name: "batches/a", state: .running, requests: 5))
        let sdk = try snapshot(#"{"name": "batches/a", "metadata": {"state": "JOB_STATE_PENDING"}}"#)
        #expect(sdk.state == .pending)
        let done = try snapshot(
            #"{"name": "batches/a", "done": true, "metadata": {"state": "BATCH_STATE_SUCCEEDED", "batchStats": {"requestCount": "3", "successfulRequestCount": "2", "failedRequestCount": "1"}}, "response": {"responsesFile": "files/out"}}"#
        )
        #expect(done.succeeded == 2 && done.failed == 1 && done.outputFile == "files/out" && done.hasResults)
        let noOutputYet = try snapshot(#"{"name": "batches/a", "done": true, "metadata": {"state": "BATCH_STATE_SUCCEEDED"}}"#)
        #expect(!noOutputYet.hasResults)
        let failed = try snapshot(
            #"{"name": "batches/a", "done": true, "metadata": {"state": "BATCH_STATE_FAILED"}, "error": {"code": 3, "message": "Error on line 1"}}"#)
        #expect(failed.state == .failed && failed.error == "error 3: Error on line 1")
        let unknown = try snapshot(#"{"name": "batches/a", "metadata": {"state": "BATCH_STATE_SOMETHING_NEW"}}"#)
        #expect(unknown.state == .running, "an unknown state is still running")
        #expect(throws: BatchServiceError.self) { try snapshot(#"{"metadata": {}}"#) }
    }

    @Test func resultLinesAreCheckedAsSynchronousAnswers() throws {
        let annotator = GeminiAnnotator(
            settings: .init(
                apiKey: Secret("k"), baseURL: URL(string: "http://127.0.0.1:1")!,
                common: .init(model: "gemini-2.5-flash-lite", prompt: "Describe.", temperature: nil, timeout: .seconds(5), previewSide: 768)),
            transport: NoTransport(), pacer: nil, logger: .quiet)
        let client = GeminiBatchClient(annotator: annotator, transport: NoTransport(), logger: .quiet)
        func line(_ json: String) -> BatchLineResult { client.result(ofLine: Data(json.utf8)) }
        let good = line(
            #"{"key": "img-7", "response": {"candidates": [{"content": {"parts": [{"text": "{\"caption\": \"A fig.\", \"tags\": [\"fig\"]}"}]}, "finishReason": "STOP"}], "usageMetadata": {"promptTokenCount": 270, "candidatesTokenCount": 25, "totalTokenCount": 295}}}"#
        )
        let annotation = try good.outcome.get()
        #expect(good.key == "img-7" && annotation.caption == "A fig." && annotation.serviceTier == .batch)
        #expect(annotation.inputTokens == 270 && annotation.outputTokens == 25)
        let blocked = line(#"{"key": "img-8", "response": {"promptFeedback": {"blockReason": "SAFETY"}}}"#)
        guard case .failure(let refusal) = blocked.outcome else {
            Issue.record("blocked passed")
            return
        }
        #expect(refusal.disposition == .permanent && refusal.reason.contains("blockReason SAFETY"))
        for json in [
            #"{"key": "img-9", "error": {"code": 13, "message": "Internal"}}"#, #"{"key": "img-9", "status": {"code": 13, "message": "Internal"}}"#,
        ] {
            guard case .failure(let error) = line(json).outcome else {
                Issue.record("an error line passed")
                return
            }
            #expect(error.disposition == .transient(retryAfter: nil) && error.reason.contains("error 13"))
        }
        #expect(line(#"{"response": {}}"#).key == nil)
        #expect(line("not json").key == nil)
    }

    @Test func linesMatchTheirTasksByKeyOnly() {
        func record(_ id: Int64) -> ImageRecord {
            ImageRecord(
                id: id, filename: "\(id).jpg", sha256: nil, contentType: nil, size: nil, width: nil, height: nil, originalKey: "uploads/\(id)",
                uploadedAt: Date(), updatedAt: Date())
        }
        let ok = Result<Annotation, AnnotationError>.success(Annotation(caption: "c", tags: [], model: "m"))
        let lines = [
            BatchLineResult(key: "img-2", outcome: ok), BatchLineResult(key: nil, outcome: ok), BatchLineResult(key: "img-99", outcome: ok),
            BatchLineResult(key: "img-2", outcome: ok), BatchLineResult(key: "2", outcome: ok),
        ]
        let match = BatchLineDecision.match(lines, held: [record(1), record(2)])
        #expect(match.matched.map(\.0.id) == [2] && match.unmatched.map(\.id) == [1] && match.unusable == 4)
    }

    @Test func aJobsStepFollowsItsStateAndDeadline() {
        let created = Date(timeIntervalSince1970: 1_000_000)
        let job = BatchJob(displayName: "annotate-x", name: "batches/x", model: "m", phase: .submitted, createdAt: created, updatedAt: created)
        let day = Duration.seconds(86_400)
        func step(_ state: BatchJobState, output: String? = nil, after: TimeInterval = 60) -> BatchJobStep {
            BatchJobStep.after(
                polling: BatchJobSnapshot(name: "batches/x", state: state, outputFile: output), job: job, now: created.addingTimeInterval(after),
                deadline: day)
        }
        #expect(step(.running) == .wait && step(.succeeded) == .wait, "succeeded without its output yet: keep polling")
        #expect(step(.succeeded, output: "files/o") == .collect && step(.cancelled, output: "files/o") == .collect)
        guard case .cancel(let reason) = step(.pending, after: 86_401) else {
            Issue.record("not cancelled")
            return
        }
        #expect(reason.contains("--batch-deadline 1d"))
        guard case .requeue(let expired) = step(.expired) else {
            Issue.record("not requeued")
            return
        }
        #expect(expired.contains("expired"))
        guard case .requeue = step(.failed), case .requeue = step(.cancelled) else {
            Issue.record("not requeued")
            return
        }
    }
}

/// A transport for clients whose wire is read without sending anything.
struct NoTransport: HTTPTransport {
    func send(_ request: TransportRequest) async throws -> TransportResponse {
        throw HTTPTransportError.unreachable(host: request.url.host ?? "", reason: "no network in this test")
    }
}
