import HTTPTypes
import Hummingbird

/// A request that cannot be served, with a message meant for the person or script that sent it.
/// The error middleware renders it as a page or as JSON; nothing else about a failure (no stack,
/// no internal error text beyond what is safe to show) leaves the server.
public struct WebError: Error, Sendable {
    /// The status to answer.
    public var status: HTTPResponse.Status
    /// What went wrong, shown on the error page or in the JSON.
    public var message: String
    /// Extra response headers (e.g. `WWW-Authenticate` on 401).
    public var headers: HTTPFields = [:]

    /// An error answered with `status`, `message` and extra `headers`.
    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    static func notFound(_ what: String) -> WebError { WebError(.notFound, what) }
    static func badRequest(_ why: String) -> WebError { WebError(.badRequest, why) }
}
