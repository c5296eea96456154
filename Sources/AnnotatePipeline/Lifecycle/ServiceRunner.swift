import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// How every long-running mode runs (`serve`, `process`, `process --watch`): its services in one
/// `ServiceGroup`. The first SIGTERM or SIGINT starts a graceful shutdown — services stop one at a
/// time, last first, each finishing or releasing its work — and a second quits at once.
public enum ServiceRunner {
    /// What the first signal prints (on standard error, so JSON output stays clean).
    static let notice = "annotate: stopping: finishing the work in flight (signal again to quit at once)\n"

    /// Runs `services` until they end or a signal stops them; rethrows the first service error.
    /// `onFirstSignal` hears which signal began the shutdown, before the services do.
    public static func run(
        _ services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger,
        onFirstSignal: @escaping @Sendable (ShutdownSignal) -> Void = { _ in }
    ) async throws {
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                var stopping = false
                for await signal in signals {
                    // A second signal means "now": nothing more is recorded, and leases expire.
                    if stopping { _exit(128 + signal.rawValue) }
                    stopping = true
                    onFirstSignal(signal == .sigint ? .interrupt : .terminate)
                    _ = notice.withCString { write(2, $0, strlen($0)) }
                    await group.triggerGracefulShutdown()
                }
            }
            defer { tasks.cancelAll() }
            try await group.run()
        }
    }
}

/// Which signal began a shutdown: SIGTERM (a supervisor, a scale-in) or SIGINT (a terminal).
public enum ShutdownSignal: Sendable, Equatable {
    /// SIGTERM.
    case terminate
    /// SIGINT (Ctrl-C).
    case interrupt
}
