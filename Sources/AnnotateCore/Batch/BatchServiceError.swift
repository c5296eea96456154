/// Why a batch service call failed, sorted by what to do.
public enum BatchServiceError: Error, CustomStringConvertible, Sendable, ExitStatusProviding {
    /// The service cannot be reached, or answered with a server error: try again later. (Asked
    /// to create a job, it may or may not have.)
    case unavailable(String)
    /// The service answered that it cannot take this now (429: a rate or enqueued-token limit):
    /// nothing was created; try again later.
    case busy(String)
    /// The service refused the request (a bad key, a request it cannot take, a limit reached).
    case refused(String)
    /// The server has no batch API at that endpoint.
    case unsupported(String)

    /// What failed and what to do.
    public var description: String {
        switch self {
        case .unavailable(let message), .busy(let message), .refused(let message), .unsupported(let message): message
        }
    }

    /// 69: the service (or the mode asked of it) is not available; 1 when it refused the request.
    public var exitStatus: ExitStatus {
        switch self {
        case .unavailable, .busy, .unsupported: .unavailable
        case .refused: .itemsFailed
        }
    }
}
