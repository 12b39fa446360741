/// Jittered exponential backoff for re-sending a failed report before the next one is due.
public struct RetryPolicy: Sendable, Equatable {
    /// The first delay before jitter.
    public var base: Duration
    /// The largest delay before jitter.
    public var cap: Duration

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(30)) {
        self.base = base
        self.cap = cap
    }

    /// The delay before retry `attempt` (1-based): `base · 2^(attempt−1)`, capped, scaled by `jitter` (a random
    /// factor in 0.5…1, so a fleet that lost the hub together does not retry in step).
    public func delay(attempt: Int, jitter: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let raw = min(Double(base.milliseconds) * Double(1 << exponent), Double(cap.milliseconds))
        let factor = min(max(jitter, 0.5), 1)
        return .milliseconds(Int64(raw * factor))
    }
}
