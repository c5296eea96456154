import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange; behind a protocol so clients are testable and the transport replaceable.
public protocol HTTPTransport: Sendable {
    /// Sends `request`; throws `HTTPTransportError` when no response arrives.
    func send(_ request: TransportRequest) async throws -> TransportResponse
}

public struct TransportRequest: Sendable {
    public var method: String
    public var url: URL
    /// Header names as sent. Values may be secret: never log them.
    public var headers: [String: String]
    public var body: Data
    public var timeout: Duration

    public init(method: String, url: URL, headers: [String: String], body: Data, timeout: Duration) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

public struct TransportResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
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

    public var description: String {
        switch self {
        case .unreachable(let host, let reason): "cannot reach \(host): \(reason)"
        case .timedOut(let host, let after): "\(host) did not answer within \(Quantity.format(after))"
        case .interrupted(let host, let reason): "the connection to \(host) broke: \(reason)"
        }
    }
}

/// HTTP through URLSession (libcurl on Linux). One session per transport, sized for the
/// concurrency the caller asks for: URLSession otherwise allows only 6 connections per host.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    public init(maximumConnections: Int) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = max(1, maximumConnections)
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = request.timeout.seconds
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        let host = request.url.host.map { h in request.url.port.map { "\(h):\($0)" } ?? h } ?? request.url.absoluteString
        do {
            // A request without a body (GET, HEAD, DELETE) must not go as an upload: libcurl
            // would send it with a body and fail the exchange.
            let (data, response) = request.body.isEmpty && request.method != "PUT" && request.method != "POST"
                ? try await session.data(for: urlRequest)
                : try await session.upload(for: urlRequest, from: request.body)
            guard let http = response as? HTTPURLResponse else {
                throw HTTPTransportError.interrupted(host: host, reason: "the answer was not HTTP")
            }
            var headers: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
            return TransportResponse(status: http.statusCode, headers: headers, body: data)
        } catch let error as URLError {
            switch error.code {
            case .timedOut:
                throw HTTPTransportError.timedOut(host: host, after: request.timeout)
            case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet, .badURL, .unsupportedURL:
                throw HTTPTransportError.unreachable(host: host, reason: Self.reason(error.code))
            default:
                throw HTTPTransportError.interrupted(host: host, reason: Self.reason(error.code))
            }
        }
    }

    /// Words for the common codes; never the URL (it may carry a query a user put a key in).
    private static func reason(_ code: URLError.Code) -> String {
        switch code {
        case .cannotConnectToHost: "connection refused"
        case .cannotFindHost, .dnsLookupFailed: "unknown host"
        case .notConnectedToInternet: "no network"
        case .networkConnectionLost: "connection lost"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid:
            "TLS handshake failed"
        default: "network error \(code.rawValue)"
        }
    }
}
