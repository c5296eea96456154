import Foundation

/// The AWS variables S3 stores read: the credential chain's (kept as the environment it reads,
/// `AWS_*` and `HOME` only), the region and a custom endpoint.
public struct AWSSettings: Sendable {
    /// The `AWS_*` variables and `HOME`, nothing else.
    public var environment: [String: String]
    /// `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`).
    public var endpoint: URL?

    /// The AWS settings found in `environment`.
    public init(environment: [String: String]) {
        self.environment = environment.filter { $0.key.hasPrefix("AWS_") || $0.key == "HOME" }
        let ignore = environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true"
        endpoint =
            ignore
            ? nil
            : ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"].lazy
                .compactMap { environment[$0] }.first { !$0.isEmpty }.flatMap(URL.init(string:))
    }
}
