import Foundation
import Testing

@testable import AnnotateAWS
@testable import AnnotateCore
@testable import AnnotateQueue
@testable import AnnotateStorage

/// moto's server (started by scripts/test-services.sh): SQS, S3 with its notifications, and
/// EventBridge, spoken to as a deployment would be set up — signed requests, the real wire
/// protocols. Each test makes its own queues and buckets.
enum TestAWS {
    static let region = "us-east-1"
    static let credentials = AWSCredentials(accessKeyID: "testing", secretAccessKey: Secret("testing"))

    static func endpoint() throws -> URL {
        guard let text = ProcessInfo.processInfo.environment["ANNOTATE_TEST_MOTO_ENDPOINT"], let url = URL(string: text) else {
            throw TestServerMissing(
                message: """
                    the queue tests need moto's server: run `make test` (it starts one), or \
                    `scripts/test-services.sh start && eval "$(scripts/test-services.sh env)"` before `swift test`
                    """)
        }
        return url
    }

    /// The environment `annotate` gets to use moto for SQS and S3.
    static func environment() throws -> [String: String] {
        let url = try endpoint().absoluteString
        return [
            "AWS_ENDPOINT_URL_SQS": url, "AWS_ENDPOINT_URL_S3": url, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": region,
        ]
    }

    /// A JSON-protocol call (`AmazonSQS.X` is JSON 1.0, `AWSEvents.X` JSON 1.1).
    @discardableResult
    static func call(_ service: String, _ target: String, _ body: [String: Any], jsonVersion: String = "1.0") async throws -> [String: Any] {
        let response = try await send(
            service: service, method: "POST", path: "/", body: try JSONSerialization.data(withJSONObject: body),
            headers: ["Content-Type": "application/x-amz-json-\(jsonVersion)", "X-Amz-Target": target])
        guard (200..<300).contains(response.status) else {
            throw TestAWSError(message: "\(target): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
        return (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
    }

    static func send(
        service: String, method: String, path: String, query: String = "", body: Data, headers: [String: String]
    ) async throws
        -> TransportResponse
    {
        let url = try endpoint()
        let host = "\(url.host!):\(url.port!)"
        let request = SignableRequest(
            method: method, host: host, encodedPath: path,
            query: query.isEmpty ? [] : [(name: query, value: "")], headers: headers)
        let signed = SigV4(credentials: credentials, region: region, service: service)
            .signedHeaders(for: request, payloadHash: SigV4.sha256Hex(body), date: Date())
        let target = URL(string: "\(url.absoluteString)\(path)\(query.isEmpty ? "" : "?\(query)")")!
        return try await transport.send(TransportRequest(method: method, url: target, headers: signed, body: body, timeout: .seconds(30)))
    }

    static let transport = TestTransports.fresh(connections: 8)

    // MARK: SQS

    /// A new queue (and its dead-letter queue when `maxReceiveCount` is given); returns their URLs.
    static func freshQueue(visibility: Int = 30, maxReceiveCount: Int? = nil) async throws -> (queue: String, deadLetters: String?) {
        let name = "annotate-t-\(UUID().uuidString.prefix(8).lowercased())"
        var attributes = ["VisibilityTimeout": "\(visibility)"]
        var deadLetters: String?
        if let maxReceiveCount {
            let dlq = try await call("sqs", "AmazonSQS.CreateQueue", ["QueueName": name + "-dlq"])["QueueUrl"] as! String
            let arn = try await attribute(dlq, "QueueArn")
            attributes["RedrivePolicy"] = #"{"deadLetterTargetArn":"\#(arn)","maxReceiveCount":"\#(maxReceiveCount)"}"#
            deadLetters = dlq
        }
        let queue = try await call("sqs", "AmazonSQS.CreateQueue", ["QueueName": name, "Attributes": attributes])["QueueUrl"] as! String
        return (queue, deadLetters)
    }

    static func attribute(_ queue: String, _ name: String) async throws -> String {
        let answer = try await call("sqs", "AmazonSQS.GetQueueAttributes", ["QueueUrl": queue, "AttributeNames": [name]])
        return (answer["Attributes"] as? [String: String])?[name] ?? ""
    }

    /// Messages waiting plus messages in flight.
    static func messageCount(_ queue: String) async throws -> Int {
        let visible = Int(try await attribute(queue, "ApproximateNumberOfMessages")) ?? -1
        let hidden = Int(try await attribute(queue, "ApproximateNumberOfMessagesNotVisible")) ?? -1
        return visible + hidden
    }

    static func sendMessage(_ queue: String, _ body: String) async throws {
        try await call("sqs", "AmazonSQS.SendMessage", ["QueueUrl": queue, "MessageBody": body])
    }

    /// An EventBridge "Object Created" event for `key` in `bucket`, as the rule delivers it.
    static func objectCreated(bucket: String, key: String) -> String {
        let event: [String: Any] = [
            "version": "0", "id": UUID().uuidString, "detail-type": "Object Created", "source": "aws.s3", "account": "123456789012",
            "region": region, "resources": ["arn:aws:s3:::\(bucket)"],
            "detail": ["version": "0", "bucket": ["name": bucket], "object": ["key": key, "size": 1], "reason": "PutObject"],
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: event), as: UTF8.self)
    }

    // MARK: S3 on moto

    /// A bucket on moto, and a store for it.
    static func freshBucket() async throws -> (name: String, store: S3ObjectStore) {
        let name = "annotate-m-\(UUID().uuidString.prefix(8).lowercased())"
        var environment = try Self.environment()
        environment["AWS_ENDPOINT_URL_S3"] = nil
        var settings = S3ObjectStore.Settings(bucket: name, endpoint: try endpoint(), region: region)
        settings.maxAttempts = 2
        let store = S3ObjectStore(
            settings: settings, credentials: AWSCredentialChain(environment: environment, transport: transport), transport: transport)
        try await store.createBucket()
        return (name, store)
    }

    /// S3 → SQS: the bucket sends `uploads/` ObjectCreated events to `queue` (moto sends its
    /// `s3:TestEvent` first, as S3 does).
    static func notify(bucket: String, queue: String) async throws {
        let arn = try await attribute(queue, "QueueArn")
        let xml = """
            <NotificationConfiguration><QueueConfiguration><Id>uploads</Id><Queue>\(arn)</Queue><Event>s3:ObjectCreated:*</Event>\
            <Filter><S3Key><FilterRule><Name>prefix</Name><Value>uploads/</Value></FilterRule></S3Key></Filter></QueueConfiguration></NotificationConfiguration>
            """
        try await putNotification(bucket: bucket, xml: xml)
    }

    /// S3 → EventBridge → rule (`Object Created` under `uploads/`) → `queue`.
    static func notifyThroughEventBridge(bucket: String, queue: String) async throws {
        try await putNotification(
            bucket: bucket, xml: "<NotificationConfiguration><EventBridgeConfiguration></EventBridgeConfiguration></NotificationConfiguration>")
        let pattern: [String: Any] = [
            "source": ["aws.s3"], "detail-type": ["Object Created"],
            "detail": ["bucket": ["name": [bucket]], "object": ["key": [["prefix": "uploads/"]]]],
        ]
        let rule = "annotate-\(bucket)"
        let patternText = String(decoding: try JSONSerialization.data(withJSONObject: pattern), as: UTF8.self)
        try await call("events", "AWSEvents.PutRule", ["Name": rule, "EventPattern": patternText, "State": "ENABLED"], jsonVersion: "1.1")
        let arn = try await attribute(queue, "QueueArn")
        try await call("events", "AWSEvents.PutTargets", ["Rule": rule, "Targets": [["Id": "work", "Arn": arn]]], jsonVersion: "1.1")
    }

    private static func putNotification(bucket: String, xml: String) async throws {
        let response = try await send(
            service: "s3", method: "PUT", path: "/\(bucket)", query: "notification", body: Data(xml.utf8),
            headers: ["Content-Type": "application/xml"])
        guard response.status == 200 else {
            throw TestAWSError(
                message: "PutBucketNotificationConfiguration: HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
    }
}

struct TestAWSError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
