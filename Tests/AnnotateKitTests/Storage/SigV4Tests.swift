import Foundation
import Testing

@testable import AnnotateAWS
@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotateStorage

/// The official AWS Signature V4 examples for S3, reproduced bit for bit
/// (../shared/docs/api-facts.md §2.2).
@Suite struct SigV4Tests {
    static let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    static let signer = SigV4(
        credentials: AWSCredentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE",
            secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")),
        region: "us-east-1")
    static let host = "examplebucket.s3.amazonaws.com"

    func authorization(_ request: SignableRequest, payload: String) -> String {
        Self.signer.signedHeaders(for: request, payloadHash: payload, date: Self.date)["Authorization"] ?? ""
    }

    @Test func signingKeyDerivation() {
        #expect(
            SigV4.hex(Data(Self.signer.signingKey(Self.date).withUnsafeBytes { Array($0) }))
                == "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378")
        let iam = SigV4(
            credentials: AWSCredentials(accessKeyID: "x", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
            region: "us-east-1", service: "iam")
        #expect(
            SigV4.hex(Data(iam.signingKey(Date(timeIntervalSince1970: 1_329_264_000)).withUnsafeBytes { Array($0) }))
                == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test func getObjectWithRange() {
        let request = SignableRequest(method: "GET", host: Self.host, encodedPath: "/test.txt", headers: ["Range": "bytes=0-9"])
        let canonical = SigV4.canonicalRequest(
            method: "GET", encodedPath: "/test.txt", query: "",
            headers: ["host": Self.host, "range": "bytes=0-9", "x-amz-content-sha256": SigV4.emptyPayloadHash, "x-amz-date": "20130524T000000Z"],
            payloadHash: SigV4.emptyPayloadHash)
        #expect(
            canonical.text == """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        #expect(
            SigV4.stringToSign(canonicalRequest: canonical.text, timestamp: "20130524T000000Z", scope: Self.signer.scope(Self.date)) == """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
                """)
        #expect(
            authorization(request, payload: SigV4.emptyPayloadHash)
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test func putObjectWithAnEncodedKey() {
        let body = Data("Welcome to Amazon S3.".utf8)
        #expect(SigV4.sha256Hex(body) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(SigV4.encode("/test$file.text", keepSlash: true) == "/test%24file.text")
        let request = SignableRequest(
            method: "PUT", host: Self.host, encodedPath: "/test%24file.text",
            headers: ["Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"])
        #expect(
            authorization(request, payload: SigV4.sha256Hex(body)).hasSuffix(
                "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
            ))
    }

    @Test func getBucketLifecycleWithAValuelessParameter() {
        let request = SignableRequest(method: "GET", host: Self.host, encodedPath: "/", query: [("lifecycle", "")])
        #expect(SigV4.canonicalQuery(request.query) == "lifecycle=")
        #expect(
            authorization(request, payload: SigV4.emptyPayloadHash).hasSuffix(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
    }

    @Test func listObjectsWithSortedParameters() {
        let request = SignableRequest(method: "GET", host: Self.host, encodedPath: "/", query: [("prefix", "J"), ("max-keys", "2")])
        #expect(SigV4.canonicalQuery(request.query) == "max-keys=2&prefix=J")
        #expect(
            authorization(request, payload: SigV4.emptyPayloadHash).hasSuffix(
                "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
    }

    @Test func presignedGet() {
        let url = Self.signer.presignedURL(
            for: SignableRequest(method: "GET", host: Self.host, encodedPath: "/test.txt"),
            scheme: "https", expires: .seconds(86400), date: Self.date)
        #expect(
            url.absoluteString
                == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
    }

    @Test func sessionTokensAreSignedAndSecretsNeverPrinted() {
        var credentials = Self.signer.credentials
        credentials.sessionToken = Secret("session-token-value")
        let signer = SigV4(credentials: credentials, region: "us-east-1")
        let headers = signer.signedHeaders(
            for: SignableRequest(method: "GET", host: Self.host, encodedPath: "/a"),
            payloadHash: SigV4.emptyPayloadHash, date: Self.date)
        #expect(headers["x-amz-security-token"] == "session-token-value")
        #expect(headers["Authorization"]!.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
        let presigned = signer.presignedURL(
            for: SignableRequest(method: "GET", host: Self.host, encodedPath: "/a"),
            scheme: "https", expires: .seconds(60), date: Self.date)
        #expect(presigned.absoluteString.contains("X-Amz-Security-Token=session-token-value"))
        #expect(!"\(credentials)".contains("wJalr") && !"\(credentials)".contains("session-token-value"))
        // Unicode, spaces, plus and percent in keys are encoded byte-wise, upper-case hex, once.
        #expect(SigV4.encode("uploads/a b+c%d é.jpg", keepSlash: true) == "uploads/a%20b%2Bc%25d%20%C3%A9.jpg")
    }
}
