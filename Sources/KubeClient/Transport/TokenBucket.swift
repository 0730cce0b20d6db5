/// A client-side token bucket (client-go's `flowcontrol.NewTokenBucketRateLimiter`): up to
/// `burst` requests go at once, then `qps` per second. Waiters reserve their token before
/// sleeping, so they are served in arrival order.
actor TokenBucket {
    private let qps: Double
    private let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(_ limit: RateLimit) {
        qps = max(limit.qps, 0.001)
        burst = Double(limit.burst)
        tokens = Double(limit.burst)
        last = .now
    }

    /// Waits until a token is available and takes it.
    func acquire() async throws {
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * qps)
        tokens -= 1
        guard tokens < 0 else { return }
        let wait = -tokens / qps
        try await Task.sleep(for: .nanoseconds(Int64(wait * 1e9)))
    }
}
