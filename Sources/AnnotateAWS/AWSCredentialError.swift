import AnnotateCore

/// Why no AWS credentials could be had, with what to set. Every AWS client (S3, SQS) reports it
/// the same way.
public enum AWSCredentialError: Error, CustomStringConvertible, ExitStatusProviding {
    /// No source in the chain had any.
    case noCredentials
    /// A setting the chain reads is wrong.
    case configuration(String)
    /// A source answered, but not with credentials.
    case credentials(source: String, reason: String)

    /// What is wrong and how to set it right.
    public var description: String {
        switch self {
        case .noCredentials:
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials, "
                + "or run where container or instance credentials are provided"
        case .configuration(let message):
            message
        case .credentials(let source, let reason):
            "cannot get AWS credentials from \(source): \(reason)"
        }
    }

    /// 78: a setting to fix.
    public var exitStatus: ExitStatus { .configuration }
}
