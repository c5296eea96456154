import AnnotatePipeline
import Logging
import ServiceLifecycle
import Synchronization

/// Whether this instance is draining: told to stop, `/health` already answers 503 so load
/// balancers take it out, while every other route still serves (with `Connection: close`, so
/// keep-alive connections move to other instances) until the drain delay has passed.
public final class DrainState: Sendable {
    private let draining = Atomic<Bool>(false)
    private let immediate = Atomic<Bool>(false)
    /// Stops the in-process worker's claiming the moment the drain begins.
    let workerStop = StopSignal()

    /// Not draining yet.
    public init() {}

    /// Whether the drain has begun.
    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    /// Skips the delay (SIGINT at a terminal: nobody is balancing load onto this instance).
    public func skipDelay() { immediate.store(true, ordering: .releasing) }

    /// Whether the delay is to be skipped.
    var skipsDelay: Bool { immediate.load(ordering: .acquiring) }

    /// Begins the drain: `/health` fails from now on and the worker stops claiming.
    func begin() {
        draining.store(true, ordering: .releasing)
        workerStop.request()
    }
}

/// The first service to hear a graceful shutdown (it comes last in the group): it begins the
/// drain and holds the shutdown back for the drain delay, so the web server keeps accepting
/// while load balancers notice the failing health check; then the worker and the server stop.
struct LameDuckService: Service {
    let state: DrainState
    let delay: Duration
    let logger: Logger

    func run() async throws {
        // Nothing to do until the shutdown; cancelled (the group failed), nothing to drain.
        guard (try? await gracefulShutdown()) != nil else { return }
        state.begin()
        let wait = state.skipsDelay ? .zero : delay
        logger.notice("draining: /health answers 503 while other routes keep serving", metadata: ["for": "\(wait)"])
        if wait > .zero { try? await Task.sleep(for: wait) }
    }
}
