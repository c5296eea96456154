import AnnotatePipeline
import Foundation

/// What an invocation brought: a batch from the SQS trigger, whose messages are answered one
/// by one (`batchItemFailures`), or one event delivered directly (EventBridge, S3, SNS).
public enum LambdaEvent: Sendable, Equatable {
    /// The SQS trigger's `{"Records": [{"eventSource": "aws:sqs", "messageId", "body"}…]}`.
    case sqsBatch([Delivery])
    /// Any other event, whole, known by the invocation's request id.
    case direct(Delivery)

    /// Sorts `body`: a `Records` list whose every record came from SQS is a batch.
    public init(body: Data, requestID: String) {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let records = object["Records"] as? [[String: Any]], !records.isEmpty,
            records.allSatisfy({ ($0["eventSource"] as? String)?.lowercased() == "aws:sqs" && $0["messageId"] is String })
        {
            self = .sqsBatch(
                records.map { record in
                    Delivery(id: record["messageId"] as? String ?? "", body: Data((record["body"] as? String ?? "").utf8))
                })
        } else {
            self = .direct(Delivery(id: requestID, body: body))
        }
    }

    /// The deliveries to process.
    public var deliveries: [Delivery] {
        switch self {
        case .sqsBatch(let deliveries): deliveries
        case .direct(let delivery): [delivery]
        }
    }
}
