import AnnotateAWS
import AnnotateCore
import Foundation

/// `ObjectStore` on S3 or any S3-compatible server: Signature V4 on every request, multipart
/// uploads for large objects (parts in parallel, aborted on failure), retries with jittered
/// backoff for the errors the SDKs retry, and errors that name the bucket and what to check.
public final class S3ObjectStore: ObjectStore {
    /// How to reach the bucket.
    public struct Settings: Sendable {
        /// The bucket's name.
        public var bucket: String
        /// Prepended to every key (`s3://bucket/prefix`); empty for none.
        public var prefix: String
        /// An S3-compatible server (`AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`): path-style addressing.
        public var endpoint: URL?
        /// The region requests are signed for.
        public var region: String
        /// Objects above this go up in parts.
        public var multipartThreshold = 16 * 1024 * 1024
        /// Size of each part of a multipart upload.
        public var partSize = 8 * 1024 * 1024
        /// Parts sent at once.
        public var partConcurrency = 4
        /// Attempts per request, counting the first.
        public var maxAttempts = 4
        /// How long one request may take.
        public var timeout: Duration = .seconds(60)

        /// Settings for `bucket` (with `prefix`), at AWS or at `endpoint`.
        public init(bucket: String, prefix: String = "", endpoint: URL? = nil, region: String) {
            self.bucket = bucket
            self.prefix = prefix.split(separator: "/").joined(separator: "/")
            self.endpoint = endpoint
            self.region = region
        }
    }

    /// The bucket, prefix, endpoint and tuning.
    public let settings: Settings
    private let credentials: AWSCredentialChain
    private let transport: any HTTPTransport

    /// A store signing with `credentials`, sending through `transport`.
    public init(settings: Settings, credentials: AWSCredentialChain, transport: any HTTPTransport) {
        self.settings = settings
        self.credentials = credentials
        self.transport = transport
    }

    /// `s3://bucket/prefix`.
    public var displayName: String {
        "s3://\(settings.bucket)" + (settings.prefix.isEmpty ? "" : "/\(settings.prefix)")
    }

    /// Where requests go, for messages.
    var endpointName: String {
        settings.endpoint?.absoluteString ?? "s3.\(settings.region).amazonaws.com"
    }

    // MARK: - ObjectStore

    /// One PUT, or a multipart upload above the threshold.
    public func put(_ data: Data, at key: ObjectKey, contentType: String) async throws {
        if data.count > settings.multipartThreshold {
            try await putInParts(data, at: key, contentType: contentType)
        } else {
            _ = try await send("store", key: key, method: "PUT", headers: ["Content-Type": contentType], body: data)
        }
    }

    /// One GET, retried on transient errors.
    public func get(_ key: ObjectKey) async throws -> Data {
        try await send("read", key: key, method: "GET").body
    }

    /// Bytes `range` of the object (an HTTP Range request).
    public func get(_ key: ObjectKey, range: ClosedRange<Int>) async throws -> Data {
        try await send("read", key: key, method: "GET", headers: ["Range": "bytes=\(range.lowerBound)-\(range.upperBound)"]).body
    }

    /// One HEAD.
    public func exists(_ key: ObjectKey) async throws -> Bool {
        do {
            _ = try await send("look up", key: key, method: "HEAD")
            return true
        } catch ObjectStoreError.notFound {
            return false
        }
    }

    /// One DELETE; a missing object is not an error.
    public func delete(_ key: ObjectKey) async throws {
        _ = try await send("delete", key: key, method: "DELETE")
    }

    /// Keys under `prefix` (relative to the store's own prefix), following continuation tokens.
    public func list(prefix: String, pageSize: Int = 1000) async throws -> [String] {
        var keys: [String] = []
        var token: String?
        let storePrefix = settings.prefix.isEmpty ? "" : settings.prefix + "/"
        repeat {
            var query = [("list-type", "2"), ("prefix", storePrefix + prefix), ("max-keys", String(pageSize))]
            if let token { query.append(("continuation-token", token)) }
            let response = try await send("list", key: nil, method: "GET", query: query)
            guard let xml = S3XML.parse(response.body), xml.name == "ListBucketResult" else {
                throw ObjectStoreError.io(operation: "list", key: prefix, store: displayName, reason: "the listing is not S3 XML")
            }
            keys += xml.all("Contents").compactMap { $0["Key"]?.text }.map { String($0.dropFirst(storePrefix.count)) }
            token = xml["IsTruncated"]?.text == "true" ? xml["NextContinuationToken"]?.text : nil
        } while token != nil
        return keys
    }

    /// S3 presigns.
    public var canPresign: Bool { true }

    /// A URL anyone can GET the object with until `expires` from now (1 second to 7 days).
    public func presignedURL(for key: ObjectKey, expires: Duration) async throws -> URL? {
        let now = Date()
        let signer = SigV4(credentials: try await credentials.credentials(now: now), region: settings.region)
        let (scheme, request) = signable(method: "GET", key: key, query: [], headers: [:])
        return signer.presignedURL(for: request, scheme: scheme, expires: expires, date: now)
    }

    /// What to check when the bucket is not usable.
    public var setupAdvice: String { "check the bucket, the credentials (AWS_*), the region and AWS_ENDPOINT_URL_S3" }

    /// Checks that the bucket answers to these credentials (a one-key listing: unlike HEAD, its
    /// errors carry a code), so a wrong key, secret or bucket stops a run before any work. A
    /// bucket that allows writes but not listing answers AccessDenied, which is let through.
    public func checkReachable() async throws {
        do {
            _ = try await send("reach", key: nil, method: "GET", query: [("list-type", "2"), ("max-keys", "1")])
        } catch ObjectStoreError.unavailable(_, let reason) where reason.hasPrefix("AccessDenied") {
            return
        }
    }

    /// Creates the bucket (tests and first-time set-up; the tool itself never creates buckets).
    func createBucket() async throws {
        _ = try await send("create", key: nil, method: "PUT")
    }

    /// Multipart uploads started and neither completed nor aborted (billed parts).
    func unfinishedMultipartUploads() async throws -> Int {
        let response = try await send("list multipart uploads in", key: nil, method: "GET", query: [("uploads", "")])
        return S3XML.parse(response.body)?.all("Upload").count ?? 0
    }

    // MARK: - Multipart

    private func putInParts(_ data: Data, at key: ObjectKey, contentType: String) async throws {
        let started = try await send(
            "start a multipart upload of", key: key, method: "POST", query: [("uploads", "")],
            headers: ["Content-Type": contentType])
        guard let uploadID = S3XML.parse(started.body)?["UploadId"]?.text, !uploadID.isEmpty else {
            throw ObjectStoreError.io(
                operation: "start a multipart upload of", key: key.rawValue, store: displayName,
                reason: "the answer has no UploadId")
        }
        do {
            let etags = try await uploadParts(data, key: key, uploadID: uploadID)
            let parts = etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(Self.escape($0.element))</ETag></Part>" }
            let body = Data("<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>".utf8)
            let completed = try await send(
                "complete the multipart upload of", key: key, method: "POST",
                query: [("uploadId", uploadID)], headers: ["Content-Type": "application/xml"], body: body)
            // S3 may answer 200 and put an <Error> in the body.
            if let xml = S3XML.parse(completed.body), xml.name == "Error" {
                throw ObjectStoreError.io(
                    operation: "complete the multipart upload of", key: key.rawValue, store: displayName,
                    reason: S3ServiceError(status: 200, body: completed.body).explanation(
                        bucket: settings.bucket, endpoint: endpointName, accessKeyID: ""))
            }
        } catch {
            // Leave no parts behind (they are billed until aborted).
            _ = try? await send("abort the multipart upload of", key: key, method: "DELETE", query: [("uploadId", uploadID)])
            throw error
        }
    }

    private func uploadParts(_ data: Data, key: ObjectKey, uploadID: String) async throws -> [String] {
        let size = max(settings.partSize, 5 * 1024 * 1024)
        let ranges = stride(from: 0, to: data.count, by: size).map { $0..<min($0 + size, data.count) }
        return try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var etags = Array(repeating: "", count: ranges.count)
            var next = 0
            func addPart() {
                let number = next + 1
                let range = ranges[next]
                next += 1
                group.addTask {
                    let response = try await self.send(
                        "upload part \(number) of", key: key, method: "PUT",
                        query: [("partNumber", String(number)), ("uploadId", uploadID)],
                        body: data.subdata(in: range))
                    guard let etag = response.headers["etag"] else {
                        throw ObjectStoreError.io(
                            operation: "upload part \(number) of", key: key.rawValue, store: self.displayName,
                            reason: "the answer has no ETag")
                    }
                    return (number, etag)
                }
            }
            while next < min(settings.partConcurrency, ranges.count) { addPart() }
            while let (number, etag) = try await group.next() {
                etags[number - 1] = etag
                if next < ranges.count { addPart() }
            }
            return etags
        }
    }

    /// The scheme, host and port presigned URLs point at (a browser's CSP must allow it).
    public var browserOrigin: String? {
        let (scheme, request) = signable(method: "GET", key: nil, query: [], headers: [:])
        return "\(scheme)://\(request.host)"
    }

    // MARK: - Requests

    /// The wire scheme and the request to sign: path-style under a custom endpoint, else
    /// virtual-hosted (path-style too for bucket names with dots, which break TLS host names).
    private func signable(method: String, key: ObjectKey?, query: [(String, String)], headers: [String: String]) -> (String, SignableRequest) {
        let objectPath = key.map { "/" + SigV4.encode((settings.prefix.isEmpty ? "" : settings.prefix + "/") + $0.rawValue, keepSlash: true) } ?? "/"
        let query = query.map { (name: $0.0, value: $0.1) }
        if let endpoint = settings.endpoint, let host = endpoint.host {
            let authority = endpoint.port.map { "\(host):\($0)" } ?? host
            let base = endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path
            let path = base + "/" + SigV4.encode(settings.bucket, keepSlash: false) + (key == nil ? "" : objectPath)
            return (endpoint.scheme ?? "https", SignableRequest(method: method, host: authority, encodedPath: path, query: query, headers: headers))
        }
        if settings.bucket.contains(".") {
            return (
                "https",
                SignableRequest(
                    method: method, host: "s3.\(settings.region).amazonaws.com",
                    encodedPath: "/\(settings.bucket)" + (key == nil ? "" : objectPath), query: query, headers: headers)
            )
        }
        return (
            "https",
            SignableRequest(
                method: method, host: "\(settings.bucket).s3.\(settings.region).amazonaws.com",
                encodedPath: objectPath, query: query, headers: headers)
        )
    }

    /// Signs and sends one request, retrying what the SDKs retry; a final failure becomes an
    /// `ObjectStoreError` naming the key (or the bucket) and what to check.
    private func send(
        _ operation: String, key: ObjectKey?, method: String, query: [(String, String)] = [],
        headers: [String: String] = [:], body: Data = Data()
    ) async throws -> TransportResponse {
        let (scheme, request) = signable(method: method, key: key, query: query, headers: headers)
        let payloadHash = SigV4.sha256Hex(body)
        let queryText = SigV4.canonicalQuery(request.query)
        guard let url = URL(string: "\(scheme)://\(request.host)\(request.encodedPath)" + (queryText.isEmpty ? "" : "?\(queryText)")) else {
            throw ObjectStoreError.invalidKey(key?.rawValue ?? "")
        }
        let subject = key?.rawValue ?? "the bucket \(settings.bucket)"
        var delay = Duration.milliseconds(100)
        for attempt in 1...settings.maxAttempts {
            let current: AWSCredentials
            do {
                current = try await credentials.credentials()
            } catch {
                throw ObjectStoreError.unavailable(store: displayName, reason: "\(error)")
            }
            let signed = SigV4(credentials: current, region: settings.region).signedHeaders(for: request, payloadHash: payloadHash, date: Date())
            let last = attempt == settings.maxAttempts
            do {
                let response = try await transport.send(
                    TransportRequest(method: method, url: url, headers: signed, body: body, timeout: settings.timeout))
                if (200..<300).contains(response.status) { return response }
                let error = S3ServiceError(status: response.status, body: response.body)
                if error.isRetryable && !last {
                    try await Task.sleep(for: delay * Double.random(in: 0.5...1.5))
                    delay *= 2
                    continue
                }
                if (error.code == "NoSuchKey" || error.code == "NotFound") && key != nil {
                    throw ObjectStoreError.notFound(key: subject, store: displayName)
                }
                let explanation = error.explanation(bucket: settings.bucket, endpoint: endpointName, accessKeyID: current.accessKeyID)
                if error.isSetupProblem { throw ObjectStoreError.unavailable(store: displayName, reason: explanation) }
                throw ObjectStoreError.io(operation: operation, key: subject, store: displayName, reason: explanation)
            } catch let error as HTTPTransportError {
                if last, case .unreachable = error {
                    // Refused or unknown host: every request would fail alike, so the store is unavailable (69).
                    throw ObjectStoreError.unavailable(store: displayName, reason: "\(error)")
                }
                if last { throw ObjectStoreError.io(operation: operation, key: subject, store: displayName, reason: "\(error)") }
                try await Task.sleep(for: delay * Double.random(in: 0.5...1.5))
                delay *= 2
            }
        }
        throw ObjectStoreError.io(operation: operation, key: subject, store: displayName, reason: "no attempts were made")
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
