import Foundation

/// How long to wait before trying a transient failure again: exponential backoff with full
/// jitter, never less than what the server asked for (`Retry-After`).
public struct RetryPolicy: Sendable {
    public var base: Duration
    public var maximum: Duration
    public var jitter: Bool

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
