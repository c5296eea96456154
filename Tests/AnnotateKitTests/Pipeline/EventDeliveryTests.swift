import Foundation
import Testing

@testable import AnnotateAWS
@testable import AnnotateCore
@testable import AnnotateLambda
@testable import AnnotatePipeline
@testable import AnnotateQueue

/// The decisions of the queue and Lambda modes, as values: where an event's object belongs,
/// when a delivery is done with, what an invocation is answered, when the deadline stops work.
@Suite struct EventDeliveryTests {
    static func record(_ id: Int64, annotation: TaskStatus, thumbnail: TaskStatus, error: String? = nil) -> ImageRecord {
        ImageRecord(
            id: id, filename: "f\(id).jpg", sha256: nil, contentType: "image/jpeg", size: 1, width: 1, height: 1,
            originalKey: "uploads/f\(id).jpg", annotationStatus: annotation, annotationError: error, thumbnailStatus: thumbnail,
            uploadedAt: Date(), updatedAt: Date())
    }

    @Test func objectsOutsideUploadsAreIgnoredAndOtherBucketsRefused() throws {
        let location = OriginalsLocation(bucket: "photos", prefix: "team")
        #expect(
            try location.placement(of: CreatedObject(bucket: "photos", key: "team/uploads/a b.jpg")) == .original(try ObjectKey("uploads/a b.jpg")))
        #expect(try location.placement(of: CreatedObject(bucket: "photos", key: "team/thumbnails/a.jpg")) == .outsideUploads("team/thumbnails/a.jpg"))
        #expect(throws: S3Event.EventError.self) { try location.placement(of: CreatedObject(bucket: "other", key: "team/uploads/a.jpg")) }
        #expect(throws: S3Event.EventError.self) { try location.placement(of: CreatedObject(bucket: "photos", key: "uploads/a.jpg")) }
        // A folder store takes any bucket's events, under uploads/.
        #expect(
            try OriginalsLocation(bucket: nil).placement(of: CreatedObject(bucket: "x", key: "uploads/a.jpg"))
                == .original(try ObjectKey("uploads/a.jpg")))
    }

    @Test func aDeliveryIsDoneOnlyWhenEveryTaskIsCompletedOrFailedForGood() {
        let records: [Int64: ImageRecord] = [
            1: Self.record(1, annotation: .completed, thumbnail: .completed),
            2: Self.record(2, annotation: .failed, thumbnail: .completed),
            3: Self.record(3, annotation: .pending, thumbnail: .completed, error: "Gemini is unreachable"),
            4: Self.record(4, annotation: .processing, thumbnail: .completed),
        ]
        let all = Set(TaskKind.allCases)
        #expect(DeliveryIntake(id: "a", imageIDs: [1, 2]).outcome(records: records, tasks: all).verdict == .done)
        let retry = DeliveryIntake(id: "b", imageIDs: [1, 3]).outcome(records: records, tasks: all)
        #expect(retry.verdict == .redeliver("image 3: annotation pending (Gemini is unreachable)"))
        #expect(!DeliveryIntake(id: "c", imageIDs: [4]).outcome(records: records, tasks: all).isDone, "another worker holds it")
        // A thumbnail-only function is done with an image whose annotation is someone else's.
        #expect(DeliveryIntake(id: "d", imageIDs: [3, 4]).outcome(records: records, tasks: [.thumbnail]).isDone)
        // Nothing named (the S3 test event, a thumbnail's event): done, so the message is deleted.
        #expect(DeliveryIntake(id: "e", ignored: ["thumbnails/x.jpg"]).outcome(records: records, tasks: all).isDone)
        // Unreadable: it comes back (to reach the dead-letter queue), and counts as refused.
        let junk = DeliveryIntake(id: "f", problem: "not an S3 event: not JSON").outcome(records: [:], tasks: all)
        #expect(junk.verdict == .redeliver("not an S3 event: not JSON") && junk.refused == ["not an S3 event: not JSON"])
        #expect(!DeliveryIntake(id: "g", imageIDs: [9]).outcome(records: records, tasks: all).isDone, "a record that vanished")
    }

    @Test func anSQSTriggerBatchIsAnsweredPerMessage() throws {
        let batch =
            #"{"Records": [{"messageId": "m1", "eventSource": "aws:sqs", "body": "{}"}, {"messageId": "m2", "eventSource": "aws:sqs", "body": "x"}]}"#
        let event = LambdaEvent(body: Data(batch.utf8), requestID: "r")
        #expect(event == .sqsBatch([Delivery(id: "m1", body: Data("{}".utf8)), Delivery(id: "m2", body: Data("x".utf8))]))
        let bridge = #"{"detail-type": "Object Created", "source": "aws.s3", "detail": {}}"#
        #expect(LambdaEvent(body: Data(bridge.utf8), requestID: "r") == .direct(Delivery(id: "r", body: Data(bridge.utf8))))
        let s3 = #"{"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}"#
        #expect(LambdaEvent(body: Data(s3.utf8), requestID: "r").deliveries.map(\.id) == ["r"])

        let outcomes = [
            DeliveryOutcome(id: "m1", verdict: .done, images: [], refused: [], ignored: []),
            DeliveryOutcome(id: "m2", verdict: .redeliver("transient"), images: [], refused: [], ignored: []),
        ]
        let result = EventProcessor.Result(outcomes: outcomes, summary: RunSummary(), stoppedBy: nil)
        let reply = LambdaHandler.reply(to: event, result: .success(result))
        #expect(reply == .response(Data(#"{"batchItemFailures":[{"itemIdentifier":"m2"}]}"#.utf8)))
        // Nothing could be recorded: every message comes back, still as a response (an error would fail the batch).
        let down = LambdaHandler.reply(to: event, result: .failure(ObjectStoreError.unavailable(store: "s3://b", reason: "refused")))
        #expect(down == .response(Data(#"{"batchItemFailures":[{"itemIdentifier":"m1"},{"itemIdentifier":"m2"}]}"#.utf8)))
    }

    @Test func aDirectEventLeftUnfinishedIsAnInvocationError() throws {
        let event = LambdaEvent.direct(Delivery(id: "r", body: Data()))
        let unfinished = EventProcessor.Result(
            outcomes: [DeliveryOutcome(id: "r", verdict: .redeliver("image 1: annotation pending"), images: [], refused: [], ignored: [])],
            summary: RunSummary(), stoppedBy: nil)
        #expect(
            LambdaHandler.reply(to: event, result: .success(unfinished))
                == .error(.init(errorType: "Annotate.Unfinished", errorMessage: "image 1: annotation pending")))
        let down = LambdaHandler.reply(to: event, result: .failure(ObjectStoreError.unavailable(store: "s3://b", reason: "refused")))
        guard case .error(let report) = down else {
            Issue.record("expected an error")
            return
        }
        #expect(report.errorType == "Annotate.Unavailable" && report.errorMessage.contains("s3://b"))
        // Done: a small summary, however many images (the records hold the rest).
        let images = (1...500).map { ImageState(Self.record($0, annotation: .completed, thumbnail: .completed)) }
        let done = EventProcessor.Result(
            outcomes: [DeliveryOutcome(id: "r", verdict: .done, images: images, refused: [], ignored: [])], summary: RunSummary(), stoppedBy: nil)
        guard case .response(let body) = LambdaHandler.reply(to: event, result: .success(done)) else {
            Issue.record("expected a response")
            return
        }
        let summary = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect((summary["images"] as? [Any])?.count == 50 && body.count < 6_000)
    }

    @Test func theDeadlineKeepsAReserveForReleasingAndAnswering() {
        let minute = DeadlinePlan(remaining: .seconds(60))
        #expect(minute.stopAfter == .seconds(51) && minute.grace == .milliseconds(4500))
        let short = DeadlinePlan(remaining: .seconds(4))
        #expect(short.stopAfter == .milliseconds(2500) && short.grace == .milliseconds(750))
        #expect(DeadlinePlan(remaining: .seconds(900)).stopAfter == .seconds(890))
        #expect(DeadlinePlan(remaining: .milliseconds(500)).stopAfter == .zero)
    }

    @Test func sqsErrorsAreSortedIntoSettingsAndOutages() {
        func error(_ status: Int, _ body: String, headers: [String: String] = [:]) -> AWSServiceError {
            AWSServiceError(TransportResponse(status: status, headers: headers, body: Data(body.utf8)))
        }
        let missing = error(400, #"{"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."}"#)
        #expect(missing.code == "QueueDoesNotExist" && !missing.isRetryable)
        #expect(SQSQueue.explanation(missing, accessKeyID: "AKIA").contains("--queue"))
        let query = error(400, "", headers: ["x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender"])
        #expect(query.code == "AWS.SimpleQueueService.NonExistentQueue")
        #expect(error(400, #"{"__type": "com.amazonaws.sqs#RequestThrottled"}"#).isRetryable)
        #expect(error(503, "").isRetryable)
        #expect(SQSQueue.Settings.region(inHost: "sqs.eu-west-1.amazonaws.com") == "eu-west-1")
        #expect(SQSQueue.Settings.region(inHost: "127.0.0.1") == nil)
        let settings = SQSQueue.Settings(queueURL: URL(string: "https://sqs.eu-west-1.amazonaws.com/123/q")!, defaultRegion: "us-east-1")
        #expect(settings.region == "eu-west-1" && settings.endpoint.absoluteString == "https://sqs.eu-west-1.amazonaws.com/")
    }
}
