import Foundation

/// Spaces request starts evenly so that at most `perMinute` begin in any minute (`--rate`),
/// for free-tier quotas that answer bursts with 429s.
public actor RequestPacer {
    private let interval: Duration
    private var next: ContinuousClock.Instant = .now

    /// A pacer allowing `perMinute` starts a minute (more than zero).
    public init(perMinute: Double) {
        interval = .milliseconds(Int64(60_000 / max(perMinute, 0.001)))
    }

    /// Waits for this request's slot.
    public func waitForSlot() async throws {
        let now = ContinuousClock.now
        let slot = max(now, next)
        next = slot + interval
        if slot > now { try await Task.sleep(until: slot, clock: .continuous) }
    }
}
