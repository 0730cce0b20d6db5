/// How long a failed item waits before its next try.
///
/// The default is client-go's `DefaultControllerRateLimiter`: the larger of a
/// per-item exponential backoff (5 ms doubling up to 1000 s) and an overall token
/// bucket (10 per second, burst 100) so that many failing items cannot flood the
/// API server together. The bucket is the client's (`KubeClient`'s `TokenBucket`): one
/// implementation for both limits.
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
