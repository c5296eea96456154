import AnnotateCore
import Foundation

/// Finds AWS credentials and the region in the SDKs' order: environment → shared files
/// (`AWS_PROFILE`, `~/.aws/credentials` and `~/.aws/config`) → container credentials (ECS/EKS) →
/// EC2 instance metadata (IMDSv2). Temporary credentials are cached and fetched again a few
/// minutes before they expire.
public actor AWSCredentialChain {
    /// Where each source looked, for tests and for pointing at fakes: the SDKs' own override
    /// variables (`AWS_EC2_METADATA_SERVICE_ENDPOINT`) are honoured too.
    public struct Endpoints: Sendable {
        /// ECS/EKS container credentials' host.
        public var containerHost: String = "http://169.254.170.2"
        /// EC2 instance metadata's address.
        public var instanceMetadata: String = "http://169.254.169.254"
        /// AWS's own addresses.
        public init() {}
    }

    private let environment: [String: String]
    private let transport: any HTTPTransport
    private let endpoints: Endpoints
    private var cached: AWSCredentials?
    /// What answered last time, for messages.
    public private(set) var source: String?

    /// A chain reading `environment`, fetching over `transport`.
    public init(environment: [String: String], transport: any HTTPTransport, endpoints: Endpoints = Endpoints()) {
        self.environment = environment
        self.transport = transport
        var endpoints = endpoints
        if let override = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"], !override.isEmpty {
            endpoints.instanceMetadata = override.hasSuffix("/") ? String(override.dropLast()) : override
        }
        self.endpoints = endpoints
    }

    /// Credentials that are good for at least five more minutes.
    public func credentials(now: Date = Date()) async throws -> AWSCredentials {
        if let cached, cached.expiration.map({ $0.timeIntervalSince(now) > 300 }) ?? true { return cached }
        let (credentials, source) = try await resolve()
        cached = credentials
        self.source = source
        return credentials
    }

    /// The region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, else us-east-1.
    public nonisolated func region() -> String {
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let value = environment[name], !value.isEmpty { return value }
        }
        return profileSetting("region") ?? "us-east-1"
    }

    private func resolve() async throws -> (AWSCredentials, String) {
        if let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty, let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty {
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : Secret($0) }
            return (AWSCredentials(accessKeyID: key, secretAccessKey: Secret(secret), sessionToken: token), "environment")
        }
        if let credentials = try profileCredentials() {
            return (credentials, "profile \(profileName)")
        }
        if let credentials = try await containerCredentials() {
            return (credentials, "container credentials")
        }
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() != "true", let credentials = try await instanceCredentials() {
            return (credentials, "EC2 instance metadata")
        }
        throw AWSCredentialError.noCredentials
    }

    // MARK: - Shared files

    private nonisolated var profileName: String {
        environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
    }

    private nonisolated var home: String { environment["HOME"] ?? NSHomeDirectory() }

    private nonisolated func file(_ variable: String, default name: String) -> [String: [String: String]] {
        let path = environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.aws/\(name)"
        guard let text = try? String(contentsOfFile: (path as NSString).expandingTildeInPath, encoding: .utf8) else { return [:] }
        return INIFile.parse(text)
    }

    /// A setting of the current profile: the credentials file's `[name]`, then the config file's
    /// `[profile name]` (`[default]` for the default profile).
    private nonisolated func profileSetting(_ key: String) -> String? {
        let credentials = file("AWS_SHARED_CREDENTIALS_FILE", default: "credentials")
        let config = file("AWS_CONFIG_FILE", default: "config")
        let configSection = profileName == "default" ? "default" : "profile \(profileName)"
        return credentials[profileName]?[key] ?? config[configSection]?[key]
    }

    private func profileCredentials() throws -> AWSCredentials? {
        guard let key = profileSetting("aws_access_key_id") else {
            if environment["AWS_PROFILE"].map({ !$0.isEmpty }) ?? false {
                throw AWSCredentialError.configuration(
                    "AWS_PROFILE names the profile \(profileName), which has no aws_access_key_id in ~/.aws/credentials or ~/.aws/config")
            }
            return nil
        }
        guard let secret = profileSetting("aws_secret_access_key") else {
            throw AWSCredentialError.configuration("the AWS profile \(profileName) has aws_access_key_id but no aws_secret_access_key")
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: Secret(secret), sessionToken: profileSetting("aws_session_token").map(Secret.init))
    }

    // MARK: - Container and instance metadata

    private func containerCredentials() async throws -> AWSCredentials? {
        let url: String
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            url = endpoints.containerHost + relative
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            url = full
        } else {
            return nil
        }
        guard let endpoint = URL(string: url) else { throw AWSCredentialError.configuration("the container credentials URI is not a URL") }
        var headers: [String: String] = [:]
        if let file = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !file.isEmpty {
            guard let token = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw AWSCredentialError.configuration("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file)")
            }
            headers["Authorization"] = token.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            headers["Authorization"] = token
        }
        let response = try await transport.send(TransportRequest(method: "GET", url: endpoint, headers: headers, body: Data(), timeout: .seconds(5)))
        guard response.status == 200 else {
            throw AWSCredentialError.credentials(source: "container credentials", reason: "HTTP \(response.status)")
        }
        return try Self.decodeTemporary(response.body, source: "container credentials")
    }

    private func instanceCredentials() async throws -> AWSCredentials? {
        let base = endpoints.instanceMetadata
        let tokenResponse: TransportResponse
        do {
            tokenResponse = try await transport.send(
                TransportRequest(
                    method: "PUT", url: URL(string: "\(base)/latest/api/token")!,
                    headers: ["X-aws-ec2-metadata-token-ttl-seconds": "21600"], body: Data(), timeout: .seconds(2)))
        } catch is HTTPTransportError {
            return nil  // not on EC2 (or metadata blocked): the chain simply ends
        }
        guard tokenResponse.status == 200 else { return nil }
        let token = String(decoding: tokenResponse.body, as: UTF8.self)
        let headers = ["X-aws-ec2-metadata-token": token]
        let path = "\(base)/latest/meta-data/iam/security-credentials/"
        let roles = try await transport.send(
            TransportRequest(method: "GET", url: URL(string: path)!, headers: headers, body: Data(), timeout: .seconds(2)))
        guard roles.status == 200, let role = String(decoding: roles.body, as: UTF8.self).split(separator: "\n").first.map(String.init), !role.isEmpty
        else {
            throw AWSCredentialError.credentials(source: "EC2 instance metadata", reason: "the instance has no IAM role (HTTP \(roles.status))")
        }
        let encodedRole = SigV4.encode(role, keepSlash: false)
        let response = try await transport.send(
            TransportRequest(
                method: "GET", url: URL(string: path + encodedRole)!, headers: headers,
                body: Data(), timeout: .seconds(2)))
        guard response.status == 200 else {
            throw AWSCredentialError.credentials(source: "EC2 instance metadata", reason: "HTTP \(response.status) for role \(role)")
        }
        return try Self.decodeTemporary(response.body, source: "EC2 instance metadata")
    }

    /// `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`, the shape both endpoints answer.
    static func decodeTemporary(_ body: Data, source: String) throws -> AWSCredentials {
        struct Answer: Decodable {
            var AccessKeyId: String?
            var SecretAccessKey: String?
            var Token: String?
            var Expiration: String?
            var Code: String?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: body) else {
            throw AWSCredentialError.credentials(source: source, reason: "the answer is not the expected JSON")
        }
        if let code = answer.Code, code != "Success" { throw AWSCredentialError.credentials(source: source, reason: "it answered \(code)") }
        guard let key = answer.AccessKeyId, let secret = answer.SecretAccessKey else {
            throw AWSCredentialError.credentials(source: source, reason: "the answer has no AccessKeyId/SecretAccessKey")
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: Secret(secret), sessionToken: answer.Token.map(Secret.init),
            expiration: answer.Expiration.flatMap(Timestamp.parse))
    }
}

/// The INI dialect of `~/.aws/credentials` and `~/.aws/config`: `[section]` and `key = value`
/// lines, `#` and `;` comments.
enum INIFile {
    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: [:]][key] = value
        }
        return sections
    }
}
