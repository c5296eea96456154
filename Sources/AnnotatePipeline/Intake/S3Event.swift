import AnnotateCore
import Foundation

/// An object an S3 event says was created.
public struct CreatedObject: Sendable, Equatable {
    /// The bucket the object was created in.
    public var bucket: String
    /// The key as S3 stores it (decoded).
    public var key: String
}

/// S3 "object created" notifications, in every shape S3 delivers them: EventBridge's
/// `{"detail-type": "Object Created", "detail": {…}}`, the classic `{"Records": […]}` of S3
/// notifications, an SNS envelope around either (also as Lambda's SNS trigger delivers it), and
/// the Lambda SQS trigger's `{"Records": [{"eventSource": "aws:sqs", "body": "…"}]}` whose bodies
/// hold any of these. S3's set-up test message and events of other kinds (deletions) are known
/// and ignored; a document in which nothing known names an object is an error.
public enum S3Event {
    /// The created objects in `data`; throws when no known shape in it names any object.
    public static func createdObjects(in data: Data) throws -> [CreatedObject] {
        var scan = Scan()
        try scan.read(data)
        guard scan.knownEvents > 0 else {
            throw EventError("not an S3 event: \(scan.found ?? "nothing that names an object")")
        }
        return scan.created
    }

    /// What a walk through one document found.
    private struct Scan {
        var created: [CreatedObject] = []
        /// Events of a known shape, created or not (a deletion, the test event).
        var knownEvents = 0
        /// What the document held instead, for the error when it held nothing known.
        var found: String?

        mutating func read(_ data: Data) throws {
            guard let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
                throw EventError("not an S3 event: not JSON")
            }
            try read(json: json)
        }

        mutating func read(json: Any) throws {
            if let list = json as? [Any] {
                for element in list { try read(json: element) }
                if list.isEmpty { found = found ?? "an empty list" }
                return
            }
            guard let object = json as? [String: Any] else {
                found = found ?? "a JSON \(json is String ? "string" : "value") rather than an object"
                return
            }
            // SNS envelope: the S3 event is a JSON string in Message.
            if object["Type"] as? String == "Notification", let message = object["Message"] as? String {
                try read(Data(message.utf8))
                return
            }
            if let records = object["Records"] as? [[String: Any]] {
                if records.isEmpty { found = found ?? "a Records list with no records" }
                for record in records { try read(record: record) }
                return
            }
            if object["Event"] as? String == "s3:TestEvent" {
                knownEvents += 1
                return
            }
            if object["source"] as? String == "aws.s3" || object["detail-type"] != nil {
                knownEvents += 1
                guard object["detail-type"] as? String == "Object Created" else { return }
                guard let detail = object["detail"] as? [String: Any],
                    let bucket = (detail["bucket"] as? [String: Any])?["name"] as? String, !bucket.isEmpty,
                    let key = (detail["object"] as? [String: Any])?["key"] as? String, !key.isEmpty
                else {
                    throw EventError("not an S3 event: an EventBridge event without detail.bucket.name or detail.object.key")
                }
                created.append(CreatedObject(bucket: bucket, key: key))
                return
            }
            let keys = object.keys.sorted().prefix(6).map { $0.debugDescription }.joined(separator: ", ")
            found = found ?? (object.isEmpty ? "an empty JSON object" : "a JSON object with the keys \(keys)")
        }

        /// One element of `Records`: an S3 record, an SQS message or an SNS delivery.
        mutating func read(record: [String: Any]) throws {
            let source = (record["eventSource"] as? String ?? record["EventSource"] as? String)?.lowercased()
            if source == "aws:sqs" || (record["body"] is String && record["messageId"] != nil) {
                guard let body = record["body"] as? String else {
                    throw EventError("not an S3 event: an SQS message without a body")
                }
                let message = "the SQS message" + ((record["messageId"] as? String).map { " \($0)" } ?? "")
                let (knownBefore, foundBefore) = (knownEvents, found)
                found = nil
                do {
                    try read(Data(body.utf8))
                } catch let error as EventError {
                    throw EventError("in \(message): \(error.description)")
                }
                if knownEvents == knownBefore {
                    found = foundBefore ?? "\(message), whose body holds \(found ?? "nothing that names an object")"
                } else {
                    found = foundBefore
                }
                return
            }
            if source == "aws:sns", let message = (record["Sns"] as? [String: Any])?["Message"] as? String {
                try read(Data(message.utf8))
                return
            }
            guard record["eventName"] is String else {
                found = found ?? "a record without eventName, body or Sns"
                return
            }
            knownEvents += 1
            if let object = try S3Event.classicRecord(record) { created.append(object) }
        }
    }

    fileprivate static func classicRecord(_ record: [String: Any]) throws -> CreatedObject? {
        guard (record["eventName"] as? String)?.hasPrefix("ObjectCreated:") ?? false else { return nil }
        guard let s3 = record["s3"] as? [String: Any],
            let bucket = (s3["bucket"] as? [String: Any])?["name"] as? String, !bucket.isEmpty,
            let encoded = (s3["object"] as? [String: Any])?["key"] as? String, !encoded.isEmpty
        else {
            throw EventError("not an S3 event: a record without s3.bucket.name or s3.object.key")
        }
        guard let key = formDecoded(encoded) else { throw EventError("the key \(encoded.debugDescription) is not URL-encoded") }
        return CreatedObject(bucket: bucket, key: key)
    }

    /// Keys in classic notifications are form-encoded: `+` is a space, then percent-escapes.
    static func formDecoded(_ text: String) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// An event that cannot be used, and why.
    public struct EventError: Error, CustomStringConvertible, ExitStatusProviding {
        /// What is wrong with the event.
        public let description: String
        package init(_ description: String) { self.description = description }
        /// 65: the document is not what it claims to be.
        public var exitStatus: ExitStatus { .dataError }
    }
}
