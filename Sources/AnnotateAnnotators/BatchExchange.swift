import AnnotateCore
import Foundation

/// The one way both batch clients call their API: no answer is `unavailable`; an answer that is
/// not 2xx is sorted by what it means for a job — 429 `busy` (nothing made, try later), 5xx
/// `unavailable`, a 404 on an endpoint only a Batch API has `unsupported`, the rest `refused`.
struct BatchExchange: Sendable {
    /// How messages name the API.
    let service: String
    let transport: any HTTPTransport

    /// Sends `request`; `message` reads an error answer (with any key redacted), `unsupported`
    /// says for a 404 whether it means the server has no Batch API (and how to put it).
    func send(
        _ request: TransportRequest, message: (TransportResponse) -> String, unsupported: (TransportRequest) -> String?
    ) async throws -> TransportResponse {
        let response: TransportResponse
        do {
            response = try await transport.send(request)
        } catch let error as HTTPTransportError {
            throw BatchServiceError.unavailable("\(service) is unreachable (\(error))")
        }
        guard !(200..<300).contains(response.status) else { return response }
        let said = "\(service) answered HTTP \(response.status) to \(request.method) \(request.url.path): \(message(response))"
        switch response.status {
        case 429: throw BatchServiceError.busy(said)
        case 500...599: throw BatchServiceError.unavailable(said)
        case 404: throw unsupported(request).map { BatchServiceError.unsupported($0) } ?? BatchServiceError.refused(said)
        default: throw BatchServiceError.refused(said)
        }
    }
}
