import AnnotateCore
import Foundation

/// An SQS error answer: `{"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "…"}`, or
/// the older `x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender` header.
struct SQSServiceError: CustomStringConvertible {
    let status: Int
    let code: String
    let message: String

    init(_ response: TransportResponse) {
        status = response.status
        let body = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        let type = (body["__type"] as? String).map { String($0.split(separator: "#").last ?? "") }
        let queryCode = response.headers["x-amzn-query-error"].map { String($0.split(separator: ";").first ?? "") }
        code = type.flatMap { $0.isEmpty ? nil : $0 } ?? queryCode ?? "HTTP\(response.status)"
        message = body["message"] as? String ?? body["Message"] as? String ?? "HTTP \(response.status)"
    }

    /// `Code: message`.
    var description: String { "\(code): \(message)" }

    /// Worth another try: throttling and server-side failures.
    var isRetryable: Bool {
        status >= 500 || status == 429
            || ["RequestThrottled", "ThrottlingException", "ServiceUnavailable", "InternalError", "KmsThrottled"].contains(code)
    }

    /// The message for a user, with what to check.
    func explanation(accessKeyID: String) -> String {
        switch code {
        case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue":
            "no such queue; check the URL given to --queue and AWS_REGION"
        case "AccessDenied", "AccessDeniedException", "InvalidSecurity":
            "access is denied to the access key \(accessKeyID); it needs sqs:ReceiveMessage, sqs:DeleteMessage and sqs:ChangeMessageVisibility on the queue"
        case "InvalidClientTokenId", "UnrecognizedClientException":
            "the access key \(accessKeyID) is not known; check AWS_ACCESS_KEY_ID or the profile"
        case "SignatureDoesNotMatch", "IncompleteSignature":
            "the request signature does not match: check the secret key for \(accessKeyID) and this machine's clock"
        case "ExpiredToken", "ExpiredTokenException": "the session token is expired; refresh the credentials"
        default: description
        }
    }
}
