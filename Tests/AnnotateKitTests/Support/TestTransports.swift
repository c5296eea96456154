import Foundation
import Synchronization

@testable import AnnotateCore
@testable import AnnotateHTTPClient
@testable import AnnotateKit

/// HTTP clients for tests, alive as long as the test process. An AsyncHTTPClient must be shut
/// down before it is released (debug builds trap otherwise), and a test that fails half-way
/// would skip its shutdown; these are never released, so a failing test reports its failure
/// instead of taking the runner down. Each is new: sharing one pool across tests let a request
/// meet a connection a stopped fake had closed, when a later fake got the same port.
enum TestTransports {
    private static let kept = Mutex<[any HTTPTransport]>([])
    private static let keptComponents = Mutex<[OwnedTransports]>([])

    /// A client of its own (an empty connection pool: a fake on a reused port never meets a
    /// stale connection), kept alive until the process ends.
    static func fresh(connections: Int = 8, readTimeout: Duration? = nil) -> NIOHTTPTransport {
        let client = NIOHTTPTransport(maximumConnections: connections, readTimeout: readTimeout)
        kept.withLock { $0.append(client) }
        return client
    }

    /// Keeps the clients a test's `Components` made until the process ends.
    static func keep(_ components: Components) {
        keptComponents.withLock { $0.append(components.transports) }
    }
}
