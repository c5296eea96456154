import Foundation

/// The AWS variables S3 stores and SQS queues read: the credential chain's (kept as the
/// environment it reads, `AWS_*` and `HOME` only), the region and custom endpoints.
public struct AWSSettings: Sendable {
    /// The `AWS_*` variables and `HOME`, nothing else.
    public var environment: [String: String]
    /// `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`).
    public var s3Endpoint: URL?
    /// `AWS_ENDPOINT_URL_SQS`, else `AWS_ENDPOINT_URL` (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`).
    public var sqsEndpoint: URL?
    /// `AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL` (for `DB_SECRET_ARN`).
    public var secretsManagerEndpoint: URL?

    /// The AWS settings found in `environment`.
    public init(environment: [String: String]) {
        self.environment = environment.filter { $0.key.hasPrefix("AWS_") || $0.key == "HOME" }
        let ignore = environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true"
        func endpoint(_ service: String) -> URL? {
            ignore
                ? nil
                : ["AWS_ENDPOINT_URL_\(service)", "AWS_ENDPOINT_URL"].lazy
                    .compactMap { environment[$0] }.first { !$0.isEmpty }.flatMap(URL.init(string:))
        }
        s3Endpoint = endpoint("S3")
        sqsEndpoint = endpoint("SQS")
        secretsManagerEndpoint = endpoint("SECRETS_MANAGER")
    }
}
