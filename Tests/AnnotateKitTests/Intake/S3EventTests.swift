import Foundation
import Testing

@testable import AnnotateKit
@testable import AnnotatePipeline

/// S3 event notifications in both shapes (../shared/docs/api-facts.md §3).
@Suite struct S3EventTests {
    @Test func eventBridgeObjectCreated() throws {
        let event = """
            {"version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": "Object Created", "source": "aws.s3",
             "account": "111122223333", "time": "2021-11-12T00:00:00Z", "region": "ca-central-1",
             "resources": ["arn:aws:s3:::amzn-s3-demo-bucket1"],
             "detail": {"version": "0", "bucket": {"name": "amzn-s3-demo-bucket1"},
               "object": {"key": "uploads/example key.jpg", "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184", "sequencer": "617f08299329d189"},
               "request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012", "source-ip-address": "1.2.3.4", "reason": "PutObject",
               "event-version": "1.1"}}
            """
        #expect(try S3Event.createdObjects(in: Data(event.utf8)) == [CreatedObject(bucket: "amzn-s3-demo-bucket1", key: "uploads/example key.jpg")])
        let deleted = event.replacingOccurrences(of: "Object Created", with: "Object Deleted")
        #expect(try S3Event.createdObjects(in: Data(deleted.utf8)).isEmpty)
    }

    @Test func classicRecordsWithFormEncodedKeys() throws {
        let event = """
            {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-west-2", "eventTime": "1970-01-01T00:00:00.000Z",
              "eventName": "ObjectCreated:Put", "s3": {"s3SchemaVersion": "1.0", "configurationId": "testRule",
                "bucket": {"name": "mybucket", "arn": "arn:aws:s3:::mybucket"},
                "object": {"key": "uploads/this+im+%2B+age+blah.txt", "size": 1024, "sequencer": "0055AED6DCD90281E5"}}},
              {"eventVersion": "2.1", "eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "mybucket"}, "object": {"key": "gone.jpg"}}},
              {"eventVersion": "2.5", "eventName": "ObjectCreated:CompleteMultipartUpload",
               "s3": {"bucket": {"name": "mybucket"}, "object": {"key": "uploads%2Fred+flower.jpg"}}}]}
            """
        #expect(
            try S3Event.createdObjects(in: Data(event.utf8)) == [
                CreatedObject(bucket: "mybucket", key: "uploads/this im + age blah.txt"),
                CreatedObject(bucket: "mybucket", key: "uploads/red flower.jpg"),
            ])
    }

    @Test func envelopesTestMessagesAndGarbage() throws {
        let inner = #"{"Records": [{"eventName": "ObjectCreated:Post", "s3": {"bucket": {"name": "b"}, "object": {"key": "k.jpg"}}}]}"#
        let sns = try JSONSerialization.data(withJSONObject: ["Type": "Notification", "Message": inner])
        #expect(try S3Event.createdObjects(in: sns) == [CreatedObject(bucket: "b", key: "k.jpg")])
        let test = #"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2014-10-13T15:57:02.089Z","Bucket":"amzn-s3-demo-bucket"}"#
        #expect(try S3Event.createdObjects(in: Data(test.utf8)).isEmpty)
        for garbage in ["", "not json", "[1, 2]", #"{"hello": "world"}"#, #"{"Records": [{"eventName": "ObjectCreated:Put"}]}"#] {
            #expect(throws: S3Event.EventError.self) { try S3Event.createdObjects(in: Data(garbage.utf8)) }
        }
    }
    /// The Lambda SQS trigger's batch: each body is one of the shapes above, as a JSON string.
    @Test func sqsDeliveredEventsAreUnwrapped() throws {
        let s3 = #"{"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "uploads/a+b.jpg"}}}]}"#
        let bridge =
            #"{"detail-type": "Object Created", "source": "aws.s3", "detail": {"bucket": {"name": "b"}, "object": {"key": "uploads/c.jpg"}}}"#
        let sns = String(decoding: try JSONSerialization.data(withJSONObject: ["Type": "Notification", "Message": s3]), as: UTF8.self)
        let test = #"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#
        let batch: [String: Any] = [
            "Records": [s3, bridge, sns, test].enumerated().map { index, body in
                [
                    "messageId": "m-\(index)", "receiptHandle": "r", "body": body, "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:work", "awsRegion": "us-east-1",
                ] as [String: Any]
            }
        ]
        #expect(
            try S3Event.createdObjects(in: try JSONSerialization.data(withJSONObject: batch)) == [
                CreatedObject(bucket: "b", key: "uploads/a b.jpg"), CreatedObject(bucket: "b", key: "uploads/c.jpg"),
                CreatedObject(bucket: "b", key: "uploads/a b.jpg"),
            ])
        // Lambda's SNS trigger.
        let snsTrigger: [String: Any] = ["Records": [["EventSource": "aws:sns", "Sns": ["Type": "Notification", "Message": bridge]]]]
        #expect(
            try S3Event.createdObjects(in: try JSONSerialization.data(withJSONObject: snsTrigger)) == [
                CreatedObject(bucket: "b", key: "uploads/c.jpg")
            ])
        // A queue that only ever saw the set-up test message is a quiet no-op.
        let onlyTest: [String: Any] = ["Records": [["messageId": "t", "body": test, "eventSource": "aws:sqs"]]]
        #expect(try S3Event.createdObjects(in: try JSONSerialization.data(withJSONObject: onlyTest)).isEmpty)
    }

    @Test func aDocumentThatNamesNoObjectIsADataErrorSayingWhatItHeld() throws {
        let cases: [(String, String)] = [
            (#"{"Records": [{"messageId": "m-1", "body": "{\"hello\": 1}", "eventSource": "aws:sqs"}]}"#, "m-1"),
            (#"{"Records": [{"messageId": "m-2", "body": "not json", "eventSource": "aws:sqs"}]}"#, "m-2"),
            (#"{"Records": []}"#, "no records"),
            (#"{"hello": "world", "id": 3}"#, "\"hello\""),
            (#"[]"#, "empty list"),
        ]
        for (document, named) in cases {
            do {
                _ = try S3Event.createdObjects(in: Data(document.utf8))
                Issue.record("accepted \(document)")
            } catch let error as S3Event.EventError {
                #expect(error.exitStatus == .dataError)
                #expect(error.description.contains(named), "\(error)")
            }
        }
    }
}
