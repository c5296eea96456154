import Foundation
import Synchronization

@testable import AnnotateHTTPClient
@testable import AnnotateKit

/// HTTP clients for tests, alive as long as the test process. An AsyncHTTPClient must be shut
/// down before it is released (debug builds trap otherwise), and a test that fails half-way
/// would skip its shutdown; these are never released, so a failing test reports its failure
/// instead of taking the runner down.
enum TestTransports {
    private static let clients = Mutex<[String: NIOHTTPTransport]>([:])
    private static let kept = Mutex<[OwnedTransports]>([])

    /// One client per distinct setting, shared by every test that asks for it.
    static func shared(connections: Int = 8, readTimeout: Duration? = nil) -> NIOHTTPTransport {
        clients.withLock { clients in
            let key = "\(connections)/\(readTimeout.map { "\($0)" } ?? "none")"
            if let client = clients[key] { return client }
            let client = NIOHTTPTransport(maximumConnections: connections, readTimeout: readTimeout)
            clients[key] = client
            return client
        }
    }

    /// Keeps the clients a test's `Components` made until the process ends.
    static func keep(_ components: Components) {
        kept.withLock { $0.append(components.transports) }
    }
}
