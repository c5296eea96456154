import AnnotateCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import NIOSSL

/// HTTP through AsyncHTTPClient on SwiftNIO's event loops: waiting on hundreds of slow answers
/// costs no threads and next to no CPU. (URLSession on Linux drives libcurl from Dispatch and
/// spent a quarter of `process`'s CPU polling sockets while 32 Gemini calls waited.)
public final class NIOHTTPTransport: HTTPTransport {
    private let client: HTTPClient
    /// The largest answer read into memory (S3 objects are bounded by --max-bytes well below it).
    static let maximumBodyBytes = 1 << 31

    /// `maximumConnections` per host: the caller's own concurrency, so no request waits for a
    /// connection the caller did not mean to bound. `readTimeout`: the longest silence while an
    /// answer is awaited; it is kept on the event loop itself, so it holds even when every Swift
    /// concurrency thread is busy (a request's own timeout needs one of them to fire).
    public init(maximumConnections: Int, readTimeout: Duration? = nil) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, maximumConnections)
        // A refused connection is an answer: report it now instead of retrying until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10), read: readTimeout.map(TimeAmount.init))
        // Signed S3 requests cannot follow a redirect; every caller reads the 3xx itself.
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        #if os(Linux)
        configuration.http1_1ConnectionDebugInitializer = { channel in
            channel.pipeline.addHandler(AcknowledgeAtOnce(), position: .first)
        }
        #endif
        client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    /// Shuts the client down; its owner calls this once it is done (a second call does nothing).
    public func shutdown() async {
        try? await client.shutdown()
    }

    /// Sends `request` and collects the whole answer.
    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = NIOHTTP1.HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if !request.body.isEmpty || request.method == "PUT" || request.method == "POST" {
            outgoing.body = .bytes(ByteBuffer(data: request.body))
        }
        let host = request.url.host.map { h in request.url.port.map { "\(h):\($0)" } ?? h } ?? "the server"
        do {
            let response = try await client.execute(outgoing, timeout: TimeAmount(request.timeout))
            var headers: [String: String] = [:]
            for (name, value) in response.headers {
                let key = name.lowercased()
                headers[key] = headers[key].map { "\($0), \(value)" } ?? value
            }
            let body = try await response.body.collect(upTo: Self.maximumBodyBytes)
            return TransportResponse(status: Int(response.status.code), headers: headers, body: Data(buffer: body))
        } catch {
            throw Self.classify(error, host: host, timeout: request.timeout)
        }
    }

    /// Sorts a failure by what the caller should do. The words never include the URL: it may
    /// carry a query a user put a key in.
    static func classify(_ error: any Error, host: String, timeout: Duration) -> HTTPTransportError {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return .timedOut(host: host, after: timeout)
            case .connectTimeout:
                return .unreachable(host: host, reason: "connection timed out")
            case .tlsHandshakeTimeout:
                return .interrupted(host: host, reason: "TLS handshake timed out")
            case .remoteConnectionClosed:
                return .interrupted(host: host, reason: "connection closed")
            default:
                return .interrupted(host: host, reason: "\(error)")
            }
        case let error as NIOConnectionError:
            let unresolved = error.connectionErrors.isEmpty && (error.dnsAError != nil || error.dnsAAAAError != nil)
            return .unreachable(host: host, reason: unresolved ? "unknown host" : "connection refused")
        case let error as IOError where [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode):
            return .unreachable(host: host, reason: error.errnoCode == ECONNREFUSED ? "connection refused" : "no route to host")
        case let error as IOError:
            return .interrupted(host: host, reason: error.errnoCode == ECONNRESET ? "connection reset" : "network error \(error.errnoCode)")
        case is NIOSSLError:
            return .interrupted(host: host, reason: "TLS handshake failed")
        case is SocketAddressError:
            return .unreachable(host: host, reason: "unknown host")
        case is NIOTooManyBytesError:
            return .interrupted(host: host, reason: "the answer was larger than \(maximumBodyBytes >> 20) MB")
        case ChannelError.connectTimeout:
            return .unreachable(host: host, reason: "connection timed out")
        default:
            return .interrupted(host: host, reason: "network error (\(type(of: error)))")
        }
    }
}

/// Acknowledges every segment at once (TCP_QUICKACK after each read). A server that writes an
/// answer's head and body separately without TCP_NODELAY holds the body back until its head is
/// acknowledged, and Linux delays that acknowledgement by up to 40 ms on a kept-alive
/// connection: every answer from such a server (Python's http.server, the bench's fake Gemini)
/// would come 40 ms late. (TCP_QUICKACK is Linux's.)
#if os(Linux)
private final class AcknowledgeAtOnce: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        _ = try? context.channel.syncOptions?.setOption(.tcpOption(.init(rawValue: Int32(TCP_QUICKACK))), value: 1)
        context.fireChannelRead(data)
    }
}
#endif
