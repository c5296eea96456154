import AnnotateCore
import Crypto
import Foundation

/// AWS credentials. The secret and the session token are `Secret`s: they print as `[redacted]`.
public struct AWSCredentials: Sendable, Equatable {
    /// The access key id (not secret).
    public var accessKeyID: String
    /// The secret key.
    public var secretAccessKey: Secret
    /// The session token of temporary credentials.
    public var sessionToken: Secret?
    /// When temporary credentials stop working (nil: they do not expire).
    public var expiration: Date?

    /// Credentials; `expiration` for temporary ones.
    public init(accessKeyID: String, secretAccessKey: Secret, sessionToken: Secret? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }
}

/// A request as Signature V4 sees it: the path already URI-encoded as it goes on the wire (S3
/// keys are encoded once, never normalised), query parameters raw (the signer encodes them).
public struct SignableRequest: Sendable, Equatable {
    /// `GET`, `PUT`…
    public var method: String
    /// `host` or `host:port`, as in the Host header.
    public var host: String
    /// The path as sent, already URI-encoded.
    public var encodedPath: String
    /// Query parameters, raw.
    public var query: [(name: String, value: String)]
    /// Headers to sign besides host and the x-amz-* the signer adds.
    public var headers: [String: String]

    /// A request to sign.
    public init(method: String, host: String, encodedPath: String, query: [(name: String, value: String)] = [], headers: [String: String] = [:]) {
        self.method = method
        self.host = host
        self.encodedPath = encodedPath
        self.query = query
        self.headers = headers
    }

    /// Equal when every part is (the query in order).
    public static func == (a: SignableRequest, b: SignableRequest) -> Bool {
        a.method == b.method && a.host == b.host && a.encodedPath == b.encodedPath && a.headers == b.headers
            && a.query.map { "\($0.name)=\($0.value)" } == b.query.map { "\($0.name)=\($0.value)" }
    }
}

/// AWS Signature Version 4, written once: a pure value that takes the time as a parameter, so the
/// official examples reproduce exactly. Header signing for requests, query signing for presigned URLs.
public struct SigV4: Sendable {
    /// SHA-256 of the empty body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// The payload hash of a presigned URL.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Whose key signs.
    public var credentials: AWSCredentials
    /// The region signed for.
    public var region: String
    /// The service signed for (`s3`).
    public var service: String

    /// A signer for `service` in `region`.
    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers to send with `request` (host excluded: the HTTP client sets it): the request's
    /// own, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` and `Authorization`.
    public func signedHeaders(for request: SignableRequest, payloadHash: String, date: Date) -> [String: String] {
        var headers = request.headers
        headers["x-amz-date"] = Self.timestamp(date)
        headers["x-amz-content-sha256"] = payloadHash
        if let token = credentials.sessionToken { headers["x-amz-security-token"] = token.reveal() }
        var signing = headers
        signing["host"] = request.host
        let canonical = Self.canonicalRequest(
            method: request.method, encodedPath: request.encodedPath,
            query: Self.canonicalQuery(request.query), headers: signing, payloadHash: payloadHash)
        let signature = self.signature(canonicalRequest: canonical.text, date: date)
        headers["Authorization"] =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(date)), "
            + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
        return headers
    }

    /// A presigned URL for `request` (normally a GET), valid for `expires` (1 second to 7 days).
    public func presignedURL(for request: SignableRequest, scheme: String, expires: Duration, date: Date) -> URL {
        let seconds = min(max(Int(expires.components.seconds), 1), 604_800)
        var query = request.query
        query.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        query.append(("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(date))"))
        query.append(("X-Amz-Date", Self.timestamp(date)))
        query.append(("X-Amz-Expires", String(seconds)))
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token.reveal())) }
        var headers = request.headers
        headers["host"] = request.host
        query.append(("X-Amz-SignedHeaders", headers.keys.map { $0.lowercased() }.sorted().joined(separator: ";")))
        let canonicalQuery = Self.canonicalQuery(query)
        let canonical = Self.canonicalRequest(
            method: request.method, encodedPath: request.encodedPath, query: canonicalQuery,
            headers: headers, payloadHash: Self.unsignedPayload)
        let signature = self.signature(canonicalRequest: canonical.text, date: date)
        return URL(string: "\(scheme)://\(request.host)\(request.encodedPath)?\(canonicalQuery)&X-Amz-Signature=\(signature)")!
    }

    // MARK: - The algorithm's parts (internal for the tests)

    func scope(_ date: Date) -> String {
        "\(Self.timestamp(date).prefix(8))/\(region)/\(service)/aws4_request"
    }

    static func canonicalRequest(
        method: String, encodedPath: String, query: String, headers: [String: String],
        payloadHash: String
    ) -> (text: String, signedHeaders: String) {
        let normalised = headers.map { name, value in
            (
                name.lowercased(),
                value.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            )
        }.sorted { $0.0 < $1.0 }
        let signedHeaders = normalised.map(\.0).joined(separator: ";")
        let canonicalHeaders = normalised.map { "\($0.0):\($0.1)\n" }.joined()
        let text = [method, encodedPath.isEmpty ? "/" : encodedPath, query, canonicalHeaders, signedHeaders, payloadHash].joined(separator: "\n")
        return (text, signedHeaders)
    }

    /// Names and values URI-encoded, sorted by name then value; a valueless parameter is `name=`.
    package static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (encode($0.name, keepSlash: false), encode($0.value, keepSlash: false)) }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    func signature(canonicalRequest: String, date: Date) -> String {
        let stringToSign = Self.stringToSign(canonicalRequest: canonicalRequest, timestamp: Self.timestamp(date), scope: scope(date))
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(date)))
    }

    static func stringToSign(canonicalRequest: String, timestamp: String, scope: String) -> String {
        "AWS4-HMAC-SHA256\n\(timestamp)\n\(scope)\n\(sha256Hex(Data(canonicalRequest.utf8)))"
    }

    func signingKey(_ date: Date) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey.reveal())".utf8))
        for part in [String(Self.timestamp(date).prefix(8)), region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// URI-encodes as SigV4 wants: unreserved characters kept, every other byte `%XX` in upper
    /// case; `/` kept only in paths.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if unreserved[Int(byte)] || (keepSlash && byte == 0x2F) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// RFC 3986's unreserved bytes: A-Z a-z 0-9 - . _ ~
    private static let unreserved: [Bool] = {
        var table = Array(repeating: false, count: 256)
        for scalar in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".unicodeScalars {
            table[Int(scalar.value)] = true
        }
        return table
    }()

    /// Hex SHA-256 of `data`.
    public static func sha256Hex(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        Timestamp.iso8601(date).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
