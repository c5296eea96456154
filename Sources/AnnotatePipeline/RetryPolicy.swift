import AnnotateCore
import Foundation

/// How long to wait before trying a transient failure again: exponential backoff with full
/// jitter, never less than what the server asked for (`Retry-After`).
public struct RetryPolicy: Sendable {
    /// The first wait.
    public var base: Duration
    /// The longest wait.
    public var maximum: Duration
    /// Whether waits are randomised (full jitter), so workers do not retry in step.
    public var jitter: Bool

    /// A policy doubling from `base` up to `maximum`.
    public init(base: Duration, maximum: Duration, jitter: Bool) {
        self.base = base
        self.maximum = maximum
        self.jitter = jitter
    }

    /// Production: 2 s, 4 s, 8 s… up to a minute, jittered.
    public static let standard = RetryPolicy(base: .seconds(2), maximum: .seconds(60), jitter: true)
    /// Tests: retry at once.
    public static let immediate = RetryPolicy(base: .zero, maximum: .zero, jitter: false)

    /// The wait after the `attempt`-th failure (1-based), at least `serverHint`.
    public func delay(afterAttempt attempt: Int, serverHint: Duration? = nil) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        var seconds = min(base.seconds * pow(2, Double(exponent)), maximum.seconds)
        if jitter { seconds = Double.random(in: seconds / 2...max(seconds, seconds / 2)) }
        let wait = Duration.milliseconds(Int64(seconds * 1000))
        if let serverHint, serverHint > wait { return serverHint }
        return wait
    }
}

extension RetryPolicy {
    /// What becomes of a task whose `attempts`-th attempt failed: another attempt after a
    /// backoff (transient, attempts left), or failed for good with the reason. A pure decision;
    /// the pipeline records what it says.
    public func outcome(
        ofFailure reason: String, transient: Bool, serverHint: Duration? = nil,
        attempts: Int, maxAttempts: Int, now: Date
    ) -> TaskOutcome.Result {
        guard transient else { return .failed(reason, .permanent) }
        guard attempts < maxAttempts else {
            return .failed(attempts > 1 ? "gave up after \(attempts) attempts: \(reason)" : reason, .transient)
        }
        let wait = delay(afterAttempt: attempts, serverHint: serverHint)
        return .retry(reason, notBefore: now.addingTimeInterval(wait.seconds))
    }
}
