import AnnotateAWS
import AnnotateCore
import Foundation

/// `WorkQueue` on Amazon SQS (or any server speaking its JSON protocol): `POST /` with
/// `X-Amz-Target: AmazonSQS.<Operation>`, signed with Signature V4 for the service `sqs`.
/// Throttling and server errors are retried with jittered backoff; what is left becomes a
/// `WorkQueueError` naming the queue and what to check.
public final class SQSQueue: WorkQueue {
    /// How to reach the queue.
    public struct Settings: Sendable {
        /// The queue's URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`).
        public var queueURL: URL
        /// Where requests go: `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL`, else the queue URL's host.
        public var endpoint: URL
        /// The region requests are signed for.
        public var region: String
        /// How long a request other than a long poll may take.
        public var timeout: Duration = .seconds(30)

        /// Settings for the queue at `queueURL`; `endpoint` overrides where requests go, and the
        /// region is the one in an AWS queue URL's host unless `region` is given.
        public init(queueURL: URL, endpoint: URL? = nil, region: String? = nil, defaultRegion: String) {
            self.queueURL = queueURL
            var origin = URLComponents()
            origin.scheme = queueURL.scheme
            origin.host = queueURL.host
            origin.port = queueURL.port
            origin.path = "/"
            self.endpoint = endpoint ?? origin.url ?? queueURL
            self.region = region ?? Self.region(inHost: queueURL.host ?? "") ?? defaultRegion
        }

        /// `us-west-2` from `sqs.us-west-2.amazonaws.com`.
        static func region(inHost host: String) -> String? {
            let parts = host.split(separator: ".")
            guard parts.count >= 4, parts[0] == "sqs", parts.suffix(2) == ["amazonaws", "com"] else { return nil }
            return String(parts[1])
        }
    }

    /// The queue URL, endpoint and region.
    public let settings: Settings
    private let client: AWSJSONClient

    /// A queue signing with `credentials`, sending through `transport`.
    public init(settings: Settings, credentials: AWSCredentialChain, transport: any HTTPTransport) {
        self.settings = settings
        client = AWSJSONClient(
            endpoint: settings.endpoint, region: settings.region, service: "sqs", targetPrefix: "AmazonSQS", jsonVersion: "1.0",
            credentials: credentials, transport: transport)
    }

    /// The queue URL.
    public var displayName: String { settings.queueURL.absoluteString }

    // MARK: - WorkQueue

    /// One long poll (`ReceiveMessage`).
    public func receive(maxMessages: Int, wait: Duration, visibility: Duration) async throws -> [QueueMessage] {
        let request: [String: Any] = [
            "QueueUrl": displayName,
            "MaxNumberOfMessages": min(10, max(1, maxMessages)),
            "WaitTimeSeconds": min(20, max(0, Int(wait.seconds))),
            "VisibilityTimeout": Self.seconds(visibility),
            "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
        ]
        let answer = try await call("ReceiveMessage", request, timeout: wait + settings.timeout)
        let messages = answer["Messages"] as? [[String: Any]] ?? []
        return messages.compactMap { message in
            guard let id = message["MessageId"] as? String, let receipt = message["ReceiptHandle"] as? String else { return nil }
            let count = ((message["Attributes"] as? [String: Any])?["ApproximateReceiveCount"] as? String).flatMap(Int.init) ?? 1
            return QueueMessage(id: id, receipt: receipt, body: Data((message["Body"] as? String ?? "").utf8), receiveCount: count)
        }
    }

    /// `ChangeMessageVisibilityBatch`, ten at a time.
    public func setVisibility(_ messages: [QueueMessage], to visibility: Duration) async throws -> [String] {
        try await inBatches("ChangeMessageVisibilityBatch", messages, extra: ["VisibilityTimeout": Self.seconds(visibility)])
    }

    /// `DeleteMessageBatch`, ten at a time.
    public func delete(_ messages: [QueueMessage]) async throws -> [String] {
        try await inBatches("DeleteMessageBatch", messages, extra: [:])
    }

    // MARK: - Requests

    private static func seconds(_ duration: Duration) -> Int { min(43_200, max(0, Int(duration.seconds.rounded(.up)))) }

    /// Sends `operation` for `messages` in batches of ten (entry ids are positions in the batch);
    /// returns the message ids of the entries that failed.
    private func inBatches(_ operation: String, _ messages: [QueueMessage], extra: [String: Int]) async throws -> [String] {
        var failed: [String] = []
        for start in stride(from: 0, to: messages.count, by: 10) {
            let batch = Array(messages[start..<min(start + 10, messages.count)])
            let entries: [[String: Any]] = batch.enumerated().map { index, message in
                var entry: [String: Any] = ["Id": "m\(index)", "ReceiptHandle": message.receipt]
                for (key, value) in extra { entry[key] = value }
                return entry
            }
            let answer = try await call(operation, ["QueueUrl": displayName, "Entries": entries], timeout: settings.timeout)
            for entry in answer["Failed"] as? [[String: Any]] ?? [] {
                if let id = entry["Id"] as? String, let index = Int(id.dropFirst()), batch.indices.contains(index) {
                    failed.append(batch[index].id)
                }
            }
        }
        return failed
    }

    /// One call, its failure named for the queue.
    private func call(_ operation: String, _ body: [String: Any], timeout: Duration) async throws -> [String: Any] {
        do {
            return try await client.call(operation, body, timeout: timeout)
        } catch {
            switch error {
            case .unavailable(let reason): throw WorkQueueError.unavailable(queue: displayName, reason: reason)
            case .credentials(let reason): throw WorkQueueError.configuration(queue: displayName, reason: reason)
            case .refused(let refusal, let accessKeyID):
                throw WorkQueueError.configuration(queue: displayName, reason: Self.explanation(refusal, accessKeyID: accessKeyID))
            }
        }
    }

    /// The message for a user, with what to check.
    static func explanation(_ error: AWSServiceError, accessKeyID: String) -> String {
        switch error.code {
        case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue":
            "no such queue; check the URL given to --queue and AWS_REGION"
        case "AccessDenied", "AccessDeniedException", "InvalidSecurity":
            "access is denied to the access key \(accessKeyID); it needs sqs:ReceiveMessage, sqs:DeleteMessage and sqs:ChangeMessageVisibility on the queue"
        default: error.credentialAdvice(accessKeyID: accessKeyID) ?? error.description
        }
    }
}
