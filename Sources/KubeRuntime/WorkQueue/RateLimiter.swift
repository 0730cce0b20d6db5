/// How long a failed item waits before its next try.
///
/// The default is client-go's `DefaultControllerRateLimiter`: the larger of a
/// per-item exponential backoff (5 ms doubling up to 1000 s) and an overall token
/// bucket (10 per second, burst 100) so that many failing items cannot flood the
/// API server together.
public struct RateLimiter: Sendable {
    /// Per-item exponential backoff: `base * 2^failures`, capped at `max`.
    public var base: Duration
    public var max: Duration
    /// Overall limit across items: `qps` tokens per second, at most `burst` saved up.
    /// `nil` disables the overall limit.
    public var qps: Double?
    public var burst: Int

    public init(base: Duration = .milliseconds(5), max: Duration = .seconds(1000), qps: Double? = 10, burst: Int = 100) {
        self.base = base
        self.max = max
        self.qps = qps
        self.burst = burst
    }

    /// The per-item delay after `failures` earlier failures.
    public func backoff(failures: Int) -> Duration {
        guard failures < 62 else { return max }
        let delay = base * (1 << failures)
        return delay > max || delay < .zero ? max : delay
    }
}

/// The token bucket state of a ``RateLimiter``; reservations in the future are
/// allowed (like `golang.org/x/time/rate`'s `Reserve`), which turns into a delay.
struct TokenBucket {
    private var tokens: Double
    private var last: ContinuousClock.Instant
    let qps: Double
    let burst: Double

    init(qps: Double, burst: Int, now: ContinuousClock.Instant) {
        self.qps = qps
        self.burst = Double(burst)
        self.tokens = Double(burst)
        self.last = now
    }

    /// Takes one token and returns how long to wait until it is really available.
    mutating func reserve(now: ContinuousClock.Instant) -> Duration {
        let elapsed = now - last
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = Swift.min(burst, tokens + seconds * qps)
        last = now
        tokens -= 1
        guard tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-tokens / qps) * 1e9))
    }
}
