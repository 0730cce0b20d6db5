import NIOConcurrencyHelpers

/// A token bucket (client-go's `flowcontrol.NewTokenBucketRateLimiter`, `golang.org/x/time/rate`):
/// up to `burst` at once, then `qps` per second. Pure — the caller passes the time — and the
/// package's only one: the client's rate limit (``RequestRateLimiter``) and the work queue's
/// overall retry limit (`KubeRuntime.RateLimiter`) both use it.
///
/// Reservations in the future are allowed (like `rate.Limiter.Reserve`) and turn into a delay,
/// so waiters are served in arrival order.
package struct TokenBucket: Sendable {
    private var tokens: Double
    private var last: ContinuousClock.Instant
    package let qps: Double
    package let burst: Double

    package init(qps: Double, burst: Int, now: ContinuousClock.Instant) {
        self.qps = max(qps, 0.001)
        self.burst = Double(max(burst, 1))
        self.tokens = self.burst
        self.last = now
    }

    /// Takes one token and returns how long to wait until it is really available (`.zero` at once).
    package mutating func reserve(now: ContinuousClock.Instant) -> Duration {
        let elapsed = now - last
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + max(0, seconds) * qps)
        if now > last { last = now }
        tokens -= 1
        guard tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-tokens / qps) * 1e9))
    }
}

/// The client-side rate limit of a ``KubeClient`` (``ClientConfig/rateLimit``): every request
/// takes a token first, waiting for it when the bucket is empty.
final class RequestRateLimiter: Sendable {
    private let bucket: NIOLockedValueBox<TokenBucket>

    init(_ limit: RateLimit) {
        bucket = NIOLockedValueBox(TokenBucket(qps: limit.qps, burst: limit.burst, now: .now))
    }

    /// Waits until a token is available and takes it; throws `CancellationError` when cancelled while waiting.
    func acquire() async throws {
        let wait = bucket.withLockedValue { $0.reserve(now: .now) }
        guard wait > .zero else { return }
        try await Task.sleep(for: wait)
    }
}
