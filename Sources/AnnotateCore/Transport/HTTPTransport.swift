import Foundation

/// One HTTP exchange; behind a protocol so clients are testable and the transport replaceable.
public protocol HTTPTransport: Sendable {
    /// Sends `request`; throws `HTTPTransportError` when no response arrives.
    func send(_ request: TransportRequest) async throws -> TransportResponse
    /// Closes its connections and threads. Whoever made the transport calls this once, when
    /// nothing sends through it any more (see `Components.close`); later sends fail.
    func shutdown() async
}

extension HTTPTransport {
    /// Nothing to close.
    public func shutdown() async {}
}

/// One HTTP request, whole.
public struct TransportRequest: Sendable {
    /// `GET`, `PUT`, `POST`…
    public var method: String
    /// The full URL.
    public var url: URL
    /// Header names as sent. Values may be secret: never log them.
    public var headers: [String: String]
    /// The body (empty for none).
    public var body: Data
    /// How long the whole exchange may take.
    public var timeout: Duration

    /// A request.
    public init(method: String, url: URL, headers: [String: String], body: Data, timeout: Duration) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// One HTTP response, whole.
public struct TransportResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    /// The body.
    public var body: Data

    /// A response.
    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

extension TransportResponse {
    /// `Retry-After` in seconds, when the server sent one (Gemini sends none; proxies and
    /// OpenAI-compatible servers may). The HTTP-date form is not used by these APIs.
    public var retryAfter: Duration? {
        guard let value = headers["retry-after"], let seconds = Double(value), seconds >= 0, seconds.isFinite else { return nil }
        return .milliseconds(Int64(min(seconds, 86_400) * 1000))
    }
}

/// Why no response arrived, sorted by what a caller should do about it.
public enum HTTPTransportError: Error, CustomStringConvertible, Sendable {
    /// The server cannot be reached at all (refused, unknown host): not the request's fault.
    case unreachable(host: String, reason: String)
    /// No answer in time.
    case timedOut(host: String, after: Duration)
    /// The connection broke mid-way (reset, closed): worth another try.
    case interrupted(host: String, reason: String)

    /// What failed, for messages.
    public var description: String {
        switch self {
        case .unreachable(let host, let reason): "cannot reach \(host): \(reason)"
        case .timedOut(let host, let after): "\(host) did not answer within \(Quantity.format(after))"
        case .interrupted(let host, let reason): "the connection to \(host) broke: \(reason)"
        }
    }
}
