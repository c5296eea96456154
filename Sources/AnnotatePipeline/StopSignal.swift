import Foundation

/// A request to stop (from SIGINT/SIGTERM, or a test). A run that hears it stops claiming,
/// lets the work in flight finish within its grace period, and releases whatever is left.
public final class StopSignal: Sendable {
    private let state = State()

    /// A signal not yet requested.
    public init() {}

    /// Whether a stop was requested.
    public var isRequested: Bool { state.requested }

    /// Asks every listener to stop; later calls do nothing.
    public func request() {
        for waiter in state.markRequested() { waiter.resume() }
    }

    /// Returns once a stop is requested (or at once when the caller is cancelled).
    public func wait() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if !state.add(id, continuation) {
                    continuation.resume()
                } else if Task.isCancelled {
                    // Cancelled before the waiter was stored: the handler found nothing to resume.
                    state.remove(id)?.resume()
                }
            }
        } onCancel: {
            state.remove(id)?.resume()
        }
    }

    /// Sleeps for `duration` unless a stop comes first; returns whether one did.
    @discardableResult
    public func sleep(for duration: Duration) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await Task.sleep(for: duration) }
            await group.next()
            group.cancelAll()
        }
        return isRequested
    }

    /// The flag and the waiting continuations, behind a lock held only for a moment.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var isSet = false
        private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

        var requested: Bool { lock.withLock { isSet } }

        /// Stores a waiter; false when the stop was already requested (resume it yourself).
        func add(_ id: UUID, _ continuation: CheckedContinuation<Void, Never>) -> Bool {
            lock.withLock {
                guard !isSet else { return false }
                waiters[id] = continuation
                return true
            }
        }

        func remove(_ id: UUID) -> CheckedContinuation<Void, Never>? {
            lock.withLock { waiters.removeValue(forKey: id) }
        }

        func markRequested() -> [CheckedContinuation<Void, Never>] {
            lock.withLock {
                isSet = true
                defer { waiters.removeAll() }
                return Array(waiters.values)
            }
        }
    }
}
