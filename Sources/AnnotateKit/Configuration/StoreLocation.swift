import AnnotateCore

/// A parsed `--store` / `--thumbnail-store` value.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// `file:DIR`: objects as files under a directory.
    case file(directory: String)
    /// `s3://BUCKET[/PREFIX]`: objects in an S3 (or S3-compatible) bucket.
    case s3(bucket: String, prefix: String)

    /// Parses `file:DIR` or `s3://BUCKET[/PREFIX]`; anything else is refused. Relative paths
    /// are made absolute.
    public init(parsing text: String) throws(ConfigurationProblem) {
        if text.lowercased().hasPrefix("s3://") {
            let rest = text.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            let prefix = rest.dropFirst(bucket.count).split(separator: "/").joined(separator: "/")
            // S3's bucket naming rules: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit.
            let allowed = bucket.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }
            guard (3...63).contains(bucket.count), allowed, bucket.first!.isLetter || bucket.first!.isNumber,
                bucket.last!.isLetter || bucket.last!.isNumber
            else {
                throw ConfigurationProblem(
                    "\(bucket.debugDescription) is not an S3 bucket name (3-63 characters: a-z, 0-9, '.', '-'); write s3://BUCKET[/PREFIX]")
            }
            self = .s3(bucket: bucket, prefix: prefix)
            return
        }
        self = .file(directory: try LocationText.path(text, scheme: "file", what: "store", example: "file:DIR or s3://BUCKET[/PREFIX]"))
    }

    /// The location as a user writes it.
    public var description: String {
        switch self {
        case .file(let directory): "file:\(directory)"
        case .s3(let bucket, let prefix): "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
        }
    }
}
