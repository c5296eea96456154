import AnnotatePipeline

/// The contract's JSON shape of one upload outcome, `{"file", "status", "id", "reason"}`: each
/// line of `upload --json`, and each entry of `POST /upload`'s JSON answer.
public struct UploadResultJSON: Encodable, Sendable {
    /// The result shown.
    public let result: UploadResult

    /// The JSON of `result`.
    public init(_ result: UploadResult) { self.result = result }

    enum CodingKeys: String, CodingKey { case file, status, id, reason }

    /// The contract's upload-result shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(result.file, forKey: .file)
        try c.encode(result.status.rawValue, forKey: .status)
        try c.encode(result.id, forKey: .id)
        try c.encode(result.reason, forKey: .reason)
    }
}
