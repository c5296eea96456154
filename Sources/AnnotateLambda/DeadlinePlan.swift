import Foundation

/// When an invocation stops starting work and how long what is running may still take, so
/// that leases are released and the answer posted before the platform's deadline: a reserve
/// of 15% of the time left (1.5 s to 10 s) is kept back; half of it is the grace for work in
/// flight, the other half for releasing, reading the outcomes back and answering.
public struct DeadlinePlan: Sendable, Equatable {
    /// How long from now new work may start.
    public var stopAfter: Duration
    /// After the stop, how long work in flight may take to finish before it is released.
    public var grace: Duration

    /// The plan for a deadline `remaining` from now.
    public init(remaining: Duration) {
        let reserve = min(max(remaining * 0.15, .milliseconds(1500)), .seconds(10))
        stopAfter = max(.zero, remaining - reserve)
        grace = reserve / 2
    }
}
