import AnnotateCore
import Foundation

/// AWS's JSON protocols (SQS's 1.0, Secrets Manager's 1.1): `POST /` with
/// `X-Amz-Target: Prefix.Operation`, signed with Signature V4. Throttling, server errors and
/// broken connections are retried with jittered backoff; what is left is thrown.
public struct AWSJSONClient: Sendable {
    /// Where requests go (`https://sqs.eu-west-1.amazonaws.com/`).
    public var endpoint: URL
    /// The region signed for.
    public var region: String
    /// The service signed for (`sqs`, `secretsmanager`).
    public var service: String
    /// `AmazonSQS`, `secretsmanager`.
    public var targetPrefix: String
    /// `1.0` or `1.1`.
    public var jsonVersion: String
    /// Attempts per call, counting the first.
    public var maxAttempts = 4
    let credentials: AWSCredentialChain
    let transport: any HTTPTransport

    /// A client of `service` at `endpoint`.
    public init(
        endpoint: URL, region: String, service: String, targetPrefix: String, jsonVersion: String,
        credentials: AWSCredentialChain, transport: any HTTPTransport
    ) {
        self.endpoint = endpoint
        self.region = region
        self.service = service
        self.targetPrefix = targetPrefix
        self.jsonVersion = jsonVersion
        self.credentials = credentials
        self.transport = transport
    }

    /// Why a call failed, sorted by what the caller should do.
    public enum Failure: Error, CustomStringConvertible {
        /// No answer, or only throttling and server errors, after every attempt.
        case unavailable(String)
        /// The service refused the call (a missing resource, access denied, bad credentials),
        /// signed with this access key.
        case refused(AWSServiceError, accessKeyID: String)
        /// No credentials could be had.
        case credentials(String)

        /// What happened.
        public var description: String {
            switch self {
            case .unavailable(let reason): reason
            case .refused(let error, _): error.description
            case .credentials(let reason): reason
            }
        }
    }

    /// Calls `operation` with `body`; the answer's JSON object (empty when it has none).
    public func call(_ operation: String, _ body: [String: Any], timeout: Duration) async throws(Failure) -> [String: Any] {
        let payload: Data
        do {
            payload = try JSONSerialization.data(withJSONObject: body)
        } catch {
            throw .refused(AWSServiceError(status: 0, code: "InvalidRequest", message: "\(error)"), accessKeyID: "")
        }
        guard let host = endpoint.host, let url = URL(string: "\(endpoint.scheme ?? "https")://\(host)\(endpoint.port.map { ":\($0)" } ?? "")/")
        else {
            throw .refused(AWSServiceError(status: 0, code: "InvalidEndpoint", message: "\(endpoint) has no host"), accessKeyID: "")
        }
        let request = SignableRequest(
            method: "POST", host: endpoint.port.map { "\(host):\($0)" } ?? host, encodedPath: "/",
            headers: ["Content-Type": "application/x-amz-json-\(jsonVersion)", "X-Amz-Target": "\(targetPrefix).\(operation)"])
        var delay = Duration.milliseconds(200)
        var lastProblem = "no attempts were made"
        for attempt in 1...maxAttempts {
            if attempt > 1 {
                try? await Task.sleep(for: delay * Double.random(in: 0.5...1.5))
                delay *= 2
            }
            let current: AWSCredentials
            do {
                current = try await credentials.credentials()
            } catch {
                throw .credentials("\(error)")
            }
            let headers = SigV4(credentials: current, region: region, service: service)
                .signedHeaders(for: request, payloadHash: SigV4.sha256Hex(payload), date: Date())
            let response: TransportResponse
            do {
                response = try await transport.send(TransportRequest(method: "POST", url: url, headers: headers, body: payload, timeout: timeout))
            } catch {
                lastProblem = "\(error)"
                continue
            }
            if (200..<300).contains(response.status) {
                return (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
            }
            let error = AWSServiceError(response)
            lastProblem = error.description
            if !error.isRetryable { throw .refused(error, accessKeyID: current.accessKeyID) }
        }
        throw .unavailable(lastProblem)
    }
}

/// An AWS JSON error answer: `{"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "…"}`,
/// or the older `x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender` header.
public struct AWSServiceError: Error, CustomStringConvertible, Sendable {
    /// The HTTP status.
    public let status: Int
    /// The error's name (`QueueDoesNotExist`, `ResourceNotFoundException`).
    public let code: String
    /// The service's message.
    public let message: String

    /// An error of these parts.
    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The error an answer carries.
    public init(_ response: TransportResponse) {
        status = response.status
        let body = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        let type = (body["__type"] as? String).map { String($0.split(separator: "#").last ?? "") }
        let queryCode = response.headers["x-amzn-query-error"].map { String($0.split(separator: ";").first ?? "") }
        code = type.flatMap { $0.isEmpty ? nil : $0 } ?? queryCode ?? "HTTP\(response.status)"
        message = body["message"] as? String ?? body["Message"] as? String ?? "HTTP \(response.status)"
    }

    /// `Code: message`.
    public var description: String { "\(code): \(message)" }

    /// Worth another try: throttling and server-side failures.
    public var isRetryable: Bool {
        status >= 500 || status == 429
            || ["RequestThrottled", "ThrottlingException", "ServiceUnavailable", "InternalError", "InternalServiceError", "KmsThrottled"]
                .contains(code)
    }

    /// What to check for the errors every AWS service shares, or nil.
    public func credentialAdvice(accessKeyID: String) -> String? {
        switch code {
        case "InvalidClientTokenId", "UnrecognizedClientException":
            "the access key \(accessKeyID) is not known; check AWS_ACCESS_KEY_ID or the profile"
        case "SignatureDoesNotMatch", "IncompleteSignature", "InvalidSignatureException":
            "the request signature does not match: check the secret key for \(accessKeyID) and this machine's clock"
        case "ExpiredToken", "ExpiredTokenException": "the session token is expired; refresh the credentials"
        default: nil
        }
    }
}
