import AnnotateCore
import Dispatch
import Foundation
import Synchronization

/// Connections to one MySQL/MariaDB database, lent to one caller at a time. Connector/C blocks,
/// so each use runs on a Dispatch queue, never on the Swift cooperative pool, and at most
/// `size` run at once: the pool bounds both connections and blocked threads.
final class MariaDBPool: Sendable {
    let location: MySQLLocation
    private let permits: AsyncSemaphore
    private let idle = LockedConnections()
    private let queue = DispatchQueue(label: "annotate.mariadb", attributes: .concurrent)
    /// After `close()`, connections are closed when they come back instead of kept.
    private let closed = Mutex(false)

    init(location: MySQLLocation, size: Int) {
        self.location = location
        permits = AsyncSemaphore(permits: size)
    }

    /// Runs `body` with a connection (an idle one, or a new one). A connection that lost its
    /// server is closed instead of going back to the pool.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        try await permits.withPermit {
            let connection = idle.take()
            return try await withCheckedThrowingContinuation { continuation in
                queue.async { [location, idle, self] in
                    let current: MariaDBConnection
                    do {
                        current = try connection ?? MariaDBConnection(location)
                    } catch {
                        continuation.resume(throwing: error)
                        return
                    }
                    do {
                        let result = try body(current)
                        if !self.closed.withLock({ $0 }) { idle.put(current) }
                        continuation.resume(returning: result)
                    } catch {
                        if !((error as? MariaDBError)?.isConnectionLost ?? false) { idle.put(current) }
                        continuation.resume(throwing: error)
                    }
                }
            }
        }
    }

    /// Takes a connection opened elsewhere (the one that ran the migrations) into the pool.
    func adopt(_ connection: MariaDBConnection) {
        idle.put(connection)
    }

    /// Closes the idle connections (the pool stays usable).
    func closeIdle() {
        idle.removeAll()
    }

    /// Closes the idle connections, and every connection in use as it comes back.
    func close() {
        closed.withLock { $0 = true }
        idle.removeAll()
    }
}

/// The idle connections, behind a lock (taken for a moment, never across a call).
private final class LockedConnections: @unchecked Sendable {
    private let lock = NSLock()
    private var connections: [MariaDBConnection] = []

    func take() -> MariaDBConnection? {
        lock.withLock { connections.popLast() }
    }

    func put(_ connection: MariaDBConnection) {
        lock.withLock { connections.append(connection) }
    }

    /// The connections close (in their deinit) after the lock is released.
    func removeAll() {
        var closing: [MariaDBConnection] = []
        lock.withLock { swap(&closing, &connections) }
        closing.removeAll()
    }
}
