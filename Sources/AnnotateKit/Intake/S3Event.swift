import Foundation

/// An object an S3 event says was created.
public struct CreatedObject: Sendable, Equatable {
    public var bucket: String
    /// The key as S3 stores it (decoded).
    public var key: String
}

/// S3 "object created" notifications, in both shapes S3 delivers them: EventBridge's
/// `{"detail-type": "Object Created", "detail": {…}}` and the classic `{"Records": […]}` of
/// SQS/SNS/Lambda notifications (also inside an SNS envelope). S3's set-up test message and
/// events of other kinds are ignored.
public enum S3Event {
    /// The created objects in `data`; throws when it is not an S3 event at all.
    public static func createdObjects(in data: Data) throws -> [CreatedObject] {
        guard let json = try? JSONSerialization.jsonObject(with: data) else {
            throw EventError("not an S3 event: not JSON")
        }
        return try createdObjects(inJSON: json)
    }

    private static func createdObjects(inJSON json: Any) throws -> [CreatedObject] {
        if let list = json as? [Any] {
            return try list.flatMap { try createdObjects(inJSON: $0) }
        }
        guard let object = json as? [String: Any] else { throw EventError("not an S3 event: not a JSON object") }
        // SNS envelope: the S3 event is a JSON string in Message.
        if object["Type"] as? String == "Notification", let message = object["Message"] as? String {
            return try createdObjects(in: Data(message.utf8))
        }
        if let records = object["Records"] as? [[String: Any]] {
            return try records.compactMap(classicRecord)
        }
        if object["Event"] as? String == "s3:TestEvent" { return [] }
        if object["source"] as? String == "aws.s3" || object["detail-type"] != nil {
            guard object["detail-type"] as? String == "Object Created" else { return [] }
            guard let detail = object["detail"] as? [String: Any],
                  let bucket = (detail["bucket"] as? [String: Any])?["name"] as? String, !bucket.isEmpty,
                  let key = (detail["object"] as? [String: Any])?["key"] as? String, !key.isEmpty else {
                throw EventError("not an S3 event: an EventBridge event without detail.bucket.name or detail.object.key")
            }
            return [CreatedObject(bucket: bucket, key: key)]
        }
        throw EventError("not an S3 event: neither an EventBridge \"Object Created\" event nor an S3 notification with Records")
    }

    private static func classicRecord(_ record: [String: Any]) throws -> CreatedObject? {
        guard (record["eventName"] as? String)?.hasPrefix("ObjectCreated:") ?? false else { return nil }
        guard let s3 = record["s3"] as? [String: Any],
              let bucket = (s3["bucket"] as? [String: Any])?["name"] as? String, !bucket.isEmpty,
              let encoded = (s3["object"] as? [String: Any])?["key"] as? String, !encoded.isEmpty else {
            throw EventError("not an S3 event: a record without s3.bucket.name or s3.object.key")
        }
        guard let key = formDecoded(encoded) else { throw EventError("the key \(encoded.debugDescription) is not URL-encoded") }
        return CreatedObject(bucket: bucket, key: key)
    }

    /// Keys in classic notifications are form-encoded: `+` is a space, then percent-escapes.
    static func formDecoded(_ text: String) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    public struct EventError: Error, CustomStringConvertible, ExitStatusProviding {
        public let description: String
        init(_ description: String) { self.description = description }
        public var exitStatus: ExitStatus { .itemsFailed }
    }
}
