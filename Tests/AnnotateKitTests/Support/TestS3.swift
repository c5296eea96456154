import AnnotateAWS
import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateHTTPClient
@testable import AnnotateKit
@testable import AnnotateStorage

/// The S3-compatible server the suite runs against (SeaweedFS, started by
/// scripts/test-services.sh; `make test` exports its address and keys). Without it the S3 tests
/// fail, saying how to start it.
enum TestS3 {
    struct Server {
        let endpoint: URL
        let accessKey: String
        let secretKey: String

        /// The environment a user would set for it.
        var environment: [String: String] {
            [
                "AWS_ENDPOINT_URL_S3": endpoint.absoluteString, "AWS_ACCESS_KEY_ID": accessKey,
                "AWS_SECRET_ACCESS_KEY": secretKey, "AWS_REGION": "us-east-1",
            ]
        }
    }

    static func server() throws -> Server {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["ANNOTATE_TEST_S3_ENDPOINT"].flatMap(URL.init(string:)),
            let access = environment["ANNOTATE_TEST_S3_ACCESS_KEY"], let secret = environment["ANNOTATE_TEST_S3_SECRET_KEY"]
        else {
            throw TestServerMissing(
                message: """
                    the S3 tests need a server: run `make test` (it starts one), or \
                    `scripts/test-services.sh start && eval "$(scripts/test-services.sh env)"` before `swift test`
                    """)
        }
        return Server(endpoint: endpoint, accessKey: access, secretKey: secret)
    }

    /// A store on `bucket` with `secret` (default: the right one).
    static func store(
        bucket: String, prefix: String = "", secret: String? = nil,
        transport: (any HTTPTransport)? = nil, configure: (inout S3ObjectStore.Settings) -> Void = { _ in }
    ) throws -> S3ObjectStore {
        let server = try server()
        var environment = server.environment
        if let secret { environment["AWS_SECRET_ACCESS_KEY"] = secret }
        let transport = transport ?? TestTransports.fresh(connections: 8)
        var settings = S3ObjectStore.Settings(bucket: bucket, prefix: prefix, endpoint: server.endpoint, region: "us-east-1")
        settings.maxAttempts = 2
        configure(&settings)
        return S3ObjectStore(
            settings: settings, credentials: AWSCredentialChain(environment: environment, transport: transport), transport: transport)
    }

    /// A new, empty bucket named `annotate-t-…`.
    static func freshBucket() async throws -> String {
        let name = "annotate-t-\(UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: ""))"
        try await store(bucket: name).createBucket()
        return name
    }

    /// Stops or restarts the test S3 server through the script that started it.
    static func services(_ command: String) throws {
        try TestDatabases.runServicesScript(command)
    }
}
