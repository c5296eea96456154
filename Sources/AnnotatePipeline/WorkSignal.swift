import Foundation

/// "New work has arrived": lets an idle watching run claim at once instead of at its next poll.
/// A notice given while nobody waits is kept, so one that lands just before the run goes to
/// sleep is not lost.
public final class WorkSignal: Sendable {
    private let state = State()

    /// A signal nobody has rung.
    public init() {}

    /// Wakes the waiting run (or the next one to wait).
    public func notify() {
        state.notify()?.resume()
    }

    /// Returns at the next notice, or at once when one is already pending; or after `timeout`.
    func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.nextNotice() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func nextNotice() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if !state.park(id, continuation) {
                    continuation.resume()
                } else if Task.isCancelled {
                    state.unpark(id)?.resume()
                }
            }
        } onCancel: {
            state.unpark(id)?.resume()
        }
    }

    /// One waiter at most (a run waits from one place), and a pending notice.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var pending = false
        private var waiter: (id: UUID, continuation: CheckedContinuation<Void, Never>)?

        /// The waiter to resume, or nil after recording the notice as pending.
        func notify() -> CheckedContinuation<Void, Never>? {
            lock.withLock {
                guard let parked = waiter else {
                    pending = true
                    return nil
                }
                waiter = nil
                return parked.continuation
            }
        }

        /// Stores the waiter; false (consuming the notice) when one is already pending.
        func park(_ id: UUID, _ continuation: CheckedContinuation<Void, Never>) -> Bool {
            lock.withLock {
                if pending {
                    pending = false
                    return false
                }
                waiter = (id, continuation)
                return true
            }
        }

        func unpark(_ id: UUID) -> CheckedContinuation<Void, Never>? {
            lock.withLock {
                guard let parked = waiter, parked.id == id else { return nil }
                waiter = nil
                return parked.continuation
            }
        }
    }
}
