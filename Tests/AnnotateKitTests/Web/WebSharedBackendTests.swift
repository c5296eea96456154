import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AnnotateImaging
@testable import AnnotateKit

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension S3ServerSuites {
    /// `serve` as deployed at scale: MariaDB for records and an S3 bucket for objects. Media are
    /// 302s to presigned URLs that the S3 server honours, reused from the cache, and allowed by the CSP.
    @Suite struct WebSharedBackendTests {
        @Test func mediaRedirectToPresignedS3URLsAndHealthCoversBothServices() async throws {
            let s3 = try TestS3.server()
            let bucket = try await TestS3.freshBucket()
            let database = try TestDatabases.freshMariaDB()
            let web = try WebFixture(flags: [.db: TestDatabases.url(database), .store: "s3://\(bucket)/gallery"], environment: s3.environment)
            let photo = try Fixtures.sample("fig-bowl.jpg")
            try await web.test { client in
                let upload = try await client.upload([("fig-bowl.jpg", photo)])
                #expect(upload.status == .ok, "\(upload.text)")
                try await web.processAll()

                let original = try await client.execute(uri: "/media/1/original", method: .get)
                #expect(original.status == .found)
                let location = try #require(original.headers[.location].flatMap(URL.init(string:)))
                #expect(location.absoluteString.hasPrefix(s3.endpoint.absoluteString) && location.query?.contains("X-Amz-Signature") == true)
                #expect(location.path.contains("/\(bucket)/gallery/uploads/"))
                let (bytes, response) = try await URLSession.shared.data(from: location)
                #expect((response as? HTTPURLResponse)?.statusCode == 200 && bytes == photo)
                let again = try await client.execute(uri: "/media/1/original", method: .get)
                #expect(again.headers[.location] == original.headers[.location], "the presigned URL comes from the cache")

                let thumbnail = try await client.execute(uri: "/media/1/thumbnail", method: .get)
                let thumbnailURL = try #require(thumbnail.headers[.location].flatMap(URL.init(string:)))
                let (small, _) = try await URLSession.shared.data(from: thumbnailURL)
                #expect(try Vips.probe(small).width == 128)

                let page = try await client.execute(uri: "/gallery", method: .get)
                let policy = page.headers[.contentSecurityPolicy] ?? ""
                let origin = "\(s3.endpoint.scheme!)://\(s3.endpoint.host!):\(s3.endpoint.port!)"
                #expect(policy.contains("img-src 'self' \(origin)"), "\(policy)")
                #expect(!policy.contains(s3.secretKey) && !page.text.contains(s3.secretKey))

                let health = try await client.execute(uri: "/health", method: .get)
                #expect(health.status == .ok, "\(health.text)")
                let api = try await client.execute(uri: "/api/images/1", method: .get).json()
                #expect(api["s3_key_original"] as? String == location.path.components(separatedBy: "/gallery/").last)
            }
        }
    }
}
