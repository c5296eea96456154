import AnnotateAWS
import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateHTTPClient
@testable import AnnotateKit
@testable import AnnotateStorage

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The suites that use the shared S3 test server. One of them stops the server mid-run, so they
/// run one at a time (nested suites inherit `.serialized`).
@Suite(.serialized) enum S3ServerSuites {}

extension S3ServerSuites {
    /// `S3ObjectStore` against a real S3-compatible server (SeaweedFS on loopback), which checks
    /// every signature.
    @Suite struct S3ObjectStoreTests {
        func makeStore(prefix: String = "") async throws -> S3ObjectStore {
            try TestS3.store(bucket: try await TestS3.freshBucket(), prefix: prefix)
        }

        @Test func conformsRoundTrip() async throws { try await ObjectStoreConformance.roundTrips(try await makeStore()) }
        @Test func conformsMissing() async throws { try await ObjectStoreConformance.missingObjectsAreNamed(try await makeStore()) }
        @Test func conformsUnusualKeys() async throws { try await ObjectStoreConformance.keysWithUnusualCharactersRoundTrip(try await makeStore()) }

        @Test func prefixesRangesAndListingsWithContinuation() async throws {
            let store = try await makeStore(prefix: "tenant/a")
            for n in 0..<5 { try await store.put(Data("object \(n)".utf8), at: try ObjectKey("uploads/\(n).jpg"), contentType: "image/jpeg") }
            #expect(try await store.list(prefix: "uploads/", pageSize: 2) == (0..<5).map { "uploads/\($0).jpg" })
            #expect(try await store.get(try ObjectKey("uploads/3.jpg"), range: 2...4) == Data("jec".utf8))
            // The prefix is really part of the key in the bucket.
            let whole = try TestS3.store(bucket: store.settings.bucket)
            #expect(try await whole.exists(try ObjectKey("tenant/a/uploads/0.jpg")))
        }

        @Test func largeObjectsGoUpInPartsAndReadBackIdentical() async throws {
            let store = try await makeStore()
            var generator = SystemRandomNumberGenerator()
            let bytes = Data((0..<(64 * 1024 * 1024 / 8)).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } })
            let key = try ObjectKey("uploads/big.bin")
            try await store.put(bytes, at: key, contentType: "application/octet-stream")
            #expect(try await store.get(key) == bytes)
            #expect(try await store.unfinishedMultipartUploads() == 0)
        }

        @Test func aFailedMultipartUploadIsAbortedLeavingNoParts() async throws {
            let bucket = try await TestS3.freshBucket()
            let failing = FailingTransport(
                wrapping: TestTransports.fresh(connections: 4), failWhen: { $0.url.query?.contains("partNumber=3") ?? false })
            let store = try TestS3.store(bucket: bucket, transport: failing) {
                $0.multipartThreshold = 5 * 1024 * 1024
                $0.partSize = 5 * 1024 * 1024
            }
            let bytes = Data(repeating: 7, count: 16 * 1024 * 1024)
            await #expect(throws: ObjectStoreError.self) {
                try await store.put(bytes, at: try ObjectKey("uploads/broken.bin"), contentType: "image/jpeg")
            }
            #expect(try await TestS3.store(bucket: bucket).unfinishedMultipartUploads() == 0)
            #expect(try await TestS3.store(bucket: bucket).exists(try ObjectKey("uploads/broken.bin")) == false)
        }

        @Test func presignedURLsWorkWithAPlainClientUntilTheyExpire() async throws {
            let store = try await makeStore()
            let key = try ObjectKey("uploads/shared photo+1.jpg")
            try await store.put(Data("shared bytes".utf8), at: key, contentType: "image/jpeg")
            #expect(store.canPresign && store.localFile(for: key) == nil)
            let endpoint = try TestS3.server().endpoint
            #expect(
                store.browserOrigin == "\(endpoint.scheme ?? "")://\(endpoint.host ?? ""):\(endpoint.port ?? 0)",
                "the CSP must allow images from here")
            let url = try #require(try await store.presignedURL(for: key, expires: .seconds(2)))
            let (data, response) = try await URLSession.shared.data(from: url)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(data == Data("shared bytes".utf8))
            try await Task.sleep(for: .seconds(3))
            let (_, expired) = try await URLSession.shared.data(from: url)
            #expect((expired as? HTTPURLResponse)?.statusCode == 403)
        }

        @Test func aWrongSecretOrAMissingBucketIsNamedAndStopsTheRun() async throws {
            let bucket = try await TestS3.freshBucket()
            let wrong = try TestS3.store(bucket: bucket, secret: "Zq9-wrong-secret-value")
            do {
                try await wrong.checkReachable()
                Issue.record("a wrong secret key must be refused")
            } catch let error as ObjectStoreError {
                #expect("\(error)".contains("SignatureDoesNotMatch") && "\(error)".contains("AWS_SECRET_ACCESS_KEY"))
                #expect(!"\(error)".contains("Zq9-wrong-secret-value"))
                #expect(error.exitStatus == .unavailable)
            }
            let absent = "annotate-absent-\(UUID().uuidString.prefix(8).lowercased())"
            let missing = try TestS3.store(bucket: absent)
            do {
                try await missing.checkReachable()
                Issue.record("a missing bucket must be named")
            } catch let error as ObjectStoreError {
                #expect("\(error)".contains(absent) && "\(error)".contains("NoSuchBucket"), "\(error)")
            }
        }
    }
}

/// Passes requests through, but fails the ones `failWhen` picks as a dropped connection would.
struct FailingTransport: HTTPTransport {
    let wrapping: any HTTPTransport
    let failWhen: @Sendable (TransportRequest) -> Bool

    init(wrapping: any HTTPTransport, failWhen: @escaping @Sendable (TransportRequest) -> Bool) {
        self.wrapping = wrapping
        self.failWhen = failWhen
    }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        if failWhen(request) { throw HTTPTransportError.interrupted(host: request.url.host ?? "", reason: "injected failure") }
        return try await wrapping.send(request)
    }
}

/// Answers S3 rarely gives on demand, from a scripted fake on loopback: throttling that clears,
/// CompleteMultipartUpload's 200 with an <Error> body, a skewed clock.
@Suite struct S3ObjectStoreAnswerTests {
    func store(_ server: LoopbackHTTPServer, configure: (inout S3ObjectStore.Settings) -> Void = { _ in }) -> S3ObjectStore {
        let transport = TestTransports.fresh(connections: 4)
        var settings = S3ObjectStore.Settings(bucket: "fake-bucket", endpoint: URL(string: server.baseURL)!, region: "us-east-1")
        configure(&settings)
        let environment = ["AWS_ACCESS_KEY_ID": "AKIAFAKE", "AWS_SECRET_ACCESS_KEY": "fake-secret", "HOME": "/nonexistent"]
        return S3ObjectStore(
            settings: settings, credentials: AWSCredentialChain(environment: environment, transport: transport), transport: transport)
    }

    static func xml(_ status: Int, _ body: String, headers: [String: String] = [:]) -> LoopbackHTTPServer.Response {
        LoopbackHTTPServer.Response(status: status, headers: ["Content-Type": "application/xml"].merging(headers) { $1 }, body: Data(body.utf8))
    }

    @Test func throttlingIsRetriedUntilItClears() async throws {
        let calls = Counter()
        let server = try LoopbackHTTPServer { request in
            #expect(request.headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIAFAKE/") ?? false)
            #expect(request.headers["x-amz-content-sha256"] == SigV4.sha256Hex(request.body))
            return calls.increment() < 3
                ? Self.xml(503, "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")
                : Self.xml(200, "")
        }
        try await store(server).put(Data("bytes".utf8), at: try ObjectKey("uploads/a.jpg"), contentType: "image/jpeg")
        #expect(calls.increment() == 4, "two throttled answers, then success")
    }

    @Test func aCompleteAnsweredWith200AndAnErrorFailsAndAborts() async throws {
        let aborted = Counter()
        let server = try LoopbackHTTPServer { request in
            switch (request.method, request.query) {
            case ("POST", "uploads="):
                return Self.xml(200, "<InitiateMultipartUploadResult><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>")
            case ("PUT", let query) where query.contains("partNumber="):
                return LoopbackHTTPServer.Response(status: 200, headers: ["ETag": "\"etag\""], body: Data())
            case ("POST", "uploadId=upload-1"):
                return Self.xml(
                    200, "<?xml version=\"1.0\"?>\n  <Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>")
            case ("DELETE", "uploadId=upload-1"):
                _ = aborted.increment()
                return LoopbackHTTPServer.Response(status: 204, body: Data())
            default:
                return Self.xml(400, "<Error><Code>Unexpected</Code><Message>\(request.method) \(request.query)</Message></Error>")
            }
        }
        let store = store(server) {
            $0.multipartThreshold = 5 * 1024 * 1024
            $0.partSize = 5 * 1024 * 1024
        }
        do {
            try await store.put(Data(repeating: 1, count: 11 * 1024 * 1024), at: try ObjectKey("uploads/big.bin"), contentType: "image/jpeg")
            Issue.record("an <Error> in a 200 answer must fail the upload")
        } catch let error as ObjectStoreError {
            #expect("\(error)".contains("InternalError") && "\(error)".contains("uploads/big.bin"))
        }
        #expect(aborted.increment() == 2, "the upload was aborted once")
    }

    @Test func aSkewedClockSaysToSynchroniseIt() async throws {
        let server = try LoopbackHTTPServer { _ in
            Self.xml(
                403,
                "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>"
            )
        }
        do {
            _ = try await store(server).get(try ObjectKey("uploads/a.jpg"))
            Issue.record("expected a refusal")
        } catch let error as ObjectStoreError {
            #expect("\(error)".contains("clock") && error.exitStatus == .unavailable)
            #expect(!"\(error)".contains("fake-secret"))
        }
    }
}
