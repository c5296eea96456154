import Foundation
import Testing

@testable import AnnotateAWS
@testable import AnnotateHTTPClient
@testable import AnnotateKit
@testable import AnnotateStorage

/// The credential chain in the SDKs' order, each provider against a fake of its own endpoint on
/// loopback (never the real metadata addresses).
@Suite struct AWSCredentialChainTests {
    let transport = TestTransports.fresh(connections: 4)

    /// An environment with no AWS settings and a HOME without ~/.aws, plus `extra`.
    func environment(_ extra: [String: String] = [:]) throws -> [String: String] {
        ["HOME": try Fixtures.temporaryDirectory("aws-home").path, "AWS_EC2_METADATA_DISABLED": "true"].merging(extra) { $1 }
    }

    @Test func environmentVariablesComeFirst() async throws {
        let chain = AWSCredentialChain(
            environment: try environment([
                "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token", "AWS_PROFILE": "ignored",
            ]),
            transport: transport)
        let credentials = try await chain.credentials()
        #expect(credentials.accessKeyID == "AKIAENV" && credentials.secretAccessKey.reveal() == "env-secret")
        #expect(credentials.sessionToken?.reveal() == "env-token")
        #expect(await chain.source == "environment")
    }

    @Test func profilesFromTheSharedFiles() async throws {
        let directory = try Fixtures.temporaryDirectory("aws-files")
        let credentialsFile = directory.appendingPathComponent("credentials")
        let configFile = directory.appendingPathComponent("config")
        try """
        # comments are fine
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = default-secret

        [work]
        aws_access_key_id=AKIAWORK
        aws_secret_access_key=work-secret
        aws_session_token = work-token
        """.write(to: credentialsFile, atomically: true, encoding: .utf8)
        try """
        [default]
        region = eu-west-1
        [profile work]
        region = ap-southeast-2
        [profile config-only]
        aws_access_key_id = AKIACONFIG
        aws_secret_access_key = config-secret
        """.write(to: configFile, atomically: true, encoding: .utf8)
        let files = ["AWS_SHARED_CREDENTIALS_FILE": credentialsFile.path, "AWS_CONFIG_FILE": configFile.path]

        let standard = AWSCredentialChain(environment: try environment(files), transport: transport)
        #expect(try await standard.credentials().accessKeyID == "AKIADEFAULT")
        #expect(standard.region() == "eu-west-1")
        let work = AWSCredentialChain(environment: try environment(files.merging(["AWS_PROFILE": "work"]) { $1 }), transport: transport)
        #expect(try await work.credentials().sessionToken?.reveal() == "work-token")
        #expect(work.region() == "ap-southeast-2")
        let configOnly = AWSCredentialChain(environment: try environment(files.merging(["AWS_PROFILE": "config-only"]) { $1 }), transport: transport)
        #expect(try await configOnly.credentials().accessKeyID == "AKIACONFIG")
        let missing = AWSCredentialChain(environment: try environment(files.merging(["AWS_PROFILE": "nope"]) { $1 }), transport: transport)
        await #expect(throws: AWSCredentialError.self) { try await missing.credentials() }
        // AWS_REGION wins over the profile.
        #expect(
            AWSCredentialChain(environment: try environment(files.merging(["AWS_REGION": "us-west-2"]) { $1 }), transport: transport).region()
                == "us-west-2")
    }

    @Test func containerCredentialsWithTheirAuthorizationToken() async throws {
        let tokenFile = try Fixtures.temporaryDirectory("token").appendingPathComponent("token")
        try "pod-identity-token\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        let server = try LoopbackHTTPServer { request in
            guard request.path == "/v1/credentials", request.headers["authorization"] == "pod-identity-token" else {
                return .json(401, ["message": "no"])
            }
            return .json(
                200,
                [
                    "AccessKeyId": "ASIACONTAINER", "SecretAccessKey": "container-secret", "Token": "container-token",
                    "Expiration": "2099-01-01T00:00:00Z",
                ])
        }
        let chain = AWSCredentialChain(
            environment: try environment([
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(server.baseURL)/v1/credentials",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile.path,
            ]), transport: transport)
        let credentials = try await chain.credentials()
        #expect(credentials.accessKeyID == "ASIACONTAINER" && credentials.sessionToken?.reveal() == "container-token")

        // The relative form goes to the ECS host (here the fake, standing in for 169.254.170.2).
        var endpoints = AWSCredentialChain.Endpoints()
        endpoints.containerHost = server.baseURL
        let relative = AWSCredentialChain(
            environment: try environment([
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "pod-identity-token",
            ]),
            transport: transport, endpoints: endpoints)
        #expect(try await relative.credentials().accessKeyID == "ASIACONTAINER")
    }

    @Test func instanceMetadataV2IsCachedAndRefreshedBeforeExpiry() async throws {
        let calls = Counter()
        let server = try LoopbackHTTPServer { request in
            switch (request.method, request.path) {
            case ("PUT", "/latest/api/token"):
                guard request.headers["x-aws-ec2-metadata-token-ttl-seconds"] == "21600" else { return .json(400, [:]) }
                return LoopbackHTTPServer.Response(status: 200, headers: ["Content-Type": "text/plain"], body: Data("imds-token".utf8))
            case ("GET", "/latest/meta-data/iam/security-credentials/"):
                guard request.headers["x-aws-ec2-metadata-token"] == "imds-token" else { return .json(401, [:]) }
                return LoopbackHTTPServer.Response(status: 200, headers: ["Content-Type": "text/plain"], body: Data("web-role".utf8))
            case ("GET", "/latest/meta-data/iam/security-credentials/web-role"):
                guard request.headers["x-aws-ec2-metadata-token"] == "imds-token" else { return .json(401, [:]) }
                let n = calls.increment()
                return .json(
                    200,
                    [
                        "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAIMDS\(n)", "SecretAccessKey": "imds-secret",
                        "Token": "imds-session", "Expiration": "2030-01-01T01:00:00Z",
                    ])
            default:
                return .json(404, [:])
            }
        }
        let chain = AWSCredentialChain(
            environment: try environment([
                "AWS_EC2_METADATA_DISABLED": "false",
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL,
            ]), transport: transport)
        let early = Date(timeIntervalSince1970: 1_893_456_000)  // 2030-01-01T00:00:00Z: an hour left
        #expect(try await chain.credentials(now: early).accessKeyID == "ASIAIMDS1")
        #expect(try await chain.credentials(now: early.addingTimeInterval(600)).accessKeyID == "ASIAIMDS1", "cached while valid")
        #expect(try await chain.credentials(now: early.addingTimeInterval(3400)).accessKeyID == "ASIAIMDS2", "refreshed 5 minutes before expiry")
        #expect(await chain.source == "EC2 instance metadata")
    }

    @Test func nothingConfiguredSaysWhatToSet() async throws {
        let chain = AWSCredentialChain(environment: try environment(), transport: transport)
        do {
            _ = try await chain.credentials()
            Issue.record("expected no credentials")
        } catch let error as AWSCredentialError {
            #expect("\(error)".contains("AWS_ACCESS_KEY_ID"))
            #expect(error.exitStatus == .configuration)
        }
    }
}

/// A thread-safe counter for fakes.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
