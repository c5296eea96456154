import AnnotateCore
import Foundation

/// An S3 error answer (`<Error><Code>…</Code><Message>…</Message></Error>`), with what to do.
struct S3ServiceError: Error {
    let status: Int
    let code: String
    let message: String

    /// Parses an error body; a body-less answer (HEAD) is named by its status.
    init(status: Int, body: Data) {
        self.status = status
        let xml = S3XML.parse(body)
        let error = xml?.name == "Error" ? xml : xml?["Error"]
        code = error?["Code"]?.text ?? Self.codeForStatus(status)
        message = error?["Message"]?.text ?? "HTTP \(status)"
    }

    private static func codeForStatus(_ status: Int) -> String {
        switch status {
        case 301, 307: "PermanentRedirect"
        case 403: "AccessDenied"
        case 404: "NotFound"
        case 503: "SlowDown"
        default: "HTTP\(status)"
        }
    }

    /// Worth trying again with backoff (the SDKs' standard retry set).
    var isRetryable: Bool {
        [500, 502, 503, 504].contains(status)
            || [
                "InternalError", "RequestTimeout", "SlowDown", "ServiceUnavailable", "Throttling", "ThrottlingException",
                "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled", "ProvisionedThroughputExceededException",
            ].contains(code)
    }

    /// A setting or permission is wrong: every other request would fail the same way.
    var isSetupProblem: Bool {
        [
            "NoSuchBucket", "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "RequestTimeTooSkewed",
            "AuthorizationHeaderMalformed", "PermanentRedirect", "InvalidBucketName", "ExpiredToken", "InvalidToken",
        ].contains(code)
    }

    /// The message for a user, naming bucket and endpoint, and what to check.
    func explanation(bucket: String, endpoint: String, accessKeyID: String) -> String {
        let advice: String =
            switch code {
            case "NoSuchBucket": "the bucket \(bucket) does not exist at \(endpoint); create it or fix --store / --thumbnail-store"
            case "AccessDenied": "access to the bucket \(bucket) at \(endpoint) is denied to the access key \(accessKeyID); check its permissions"
            case "SignatureDoesNotMatch":
                "the request signature does not match: check the secret key for \(accessKeyID) (AWS_SECRET_ACCESS_KEY) and this machine's clock"
            case "InvalidAccessKeyId": "the access key \(accessKeyID) is not known at \(endpoint); check AWS_ACCESS_KEY_ID or the profile"
            case "RequestTimeTooSkewed": "this machine's clock differs too much from the server's; synchronise it (NTP)"
            case "ExpiredToken", "InvalidToken": "the session token is expired or invalid; refresh the credentials"
            case "PermanentRedirect", "AuthorizationHeaderMalformed": "the bucket \(bucket) is in another region; set AWS_REGION"
            default: message
            }
        return "\(code): \(advice)"
    }
}
