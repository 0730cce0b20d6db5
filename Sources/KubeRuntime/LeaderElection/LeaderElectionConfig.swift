import Foundation

/// Timing and identity of a ``LeaderElector``, with client-go's defaults and checks.
public struct LeaderElectionConfig: Sendable, Hashable {
    /// The `coordination.k8s.io/v1` Lease used as the lock.
    public var leaseName: String
    public var namespace: String
    /// This candidate's name in `holderIdentity`; unique per replica.
    public var identity: String
    /// How long the lease lasts (15 s), in whole seconds: written into the Lease as
    /// `spec.leaseDurationSeconds`, where the other candidates read it. A candidate judges
    /// *another* holder's lease by the value in the Lease, not by its own configuration.
    /// Also used for a Lease that does not say.
    public var leaseDuration: Duration
    /// How long a leader may go without a successful renewal before it stops leading (10 s),
    /// counted from the start of the last renewal attempt that succeeded. Every attempt is cut
    /// off at this deadline. Shorter than ``leaseDuration``, so the old leader stops before
    /// anyone else can start.
    public var renewDeadline: Duration
    /// How often candidates try to acquire and the leader renews (2 s).
    public var retryPeriod: Duration
    /// Release the lease on graceful shutdown so that a successor takes over at once.
    public var releaseOnCancel: Bool

    /// client-go's `JitterFactor`: acquisition attempts wait `retryPeriod · (1 + rand · 1.2)`.
    public static let jitterFactor = 1.2

    public init(
        leaseName: String, namespace: String, identity: String = LeaderElectionConfig.defaultIdentity(),
        leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2),
        releaseOnCancel: Bool = true
    ) throws(LeaderElectionError) {
        // The same checks as client-go's NewLeaderElector.
        guard leaseDuration > renewDeadline else { throw LeaderElectionError("leaseDuration must be greater than renewDeadline") }
        // The Lease stores whole seconds: the others wait only that long.
        guard Duration.seconds(leaseDuration.components.seconds) > renewDeadline else {
            throw LeaderElectionError("leaseDuration in whole seconds (as written to the Lease) must be greater than renewDeadline")
        }
        guard renewDeadline > retryPeriod * Self.jitterFactor else {
            throw LeaderElectionError("renewDeadline must be greater than retryPeriod*JitterFactor")
        }
        guard leaseDuration > .zero, renewDeadline > .zero, retryPeriod > .zero else {
            throw LeaderElectionError("leaseDuration, renewDeadline and retryPeriod must be greater than zero")
        }
        guard !identity.isEmpty else { throw LeaderElectionError("identity must not be empty") }
        guard !leaseName.isEmpty, !namespace.isEmpty else { throw LeaderElectionError("the Lease needs a name and a namespace") }
        self.leaseName = leaseName
        self.namespace = namespace
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
        self.releaseOnCancel = releaseOnCancel
    }

    /// The pod's name (`POD_NAME`, else `HOSTNAME`, which the kubelet sets to the pod name),
    /// falling back to the host name, plus a random suffix only when nothing is set.
    public static func defaultIdentity(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let name = environment["POD_NAME"], !name.isEmpty { return name }
        if let name = environment["HOSTNAME"], !name.isEmpty { return name }
        let host = ProcessInfo.processInfo.hostName
        return host.isEmpty ? "candidate-\(UInt32.random(in: 0...UInt32.max))" : host
    }
}

/// A leader election that cannot be configured or run.
public struct LeaderElectionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "leader election: \(message)" }
}

/// The time a ``LeaderElector`` runs on: monotonic, so wall-clock jumps and clock skew
/// between nodes never decide leadership (client-go judges expiry by when *it* observed
/// a renewal, not by the timestamps in the Lease). Tests pass a clock they advance.
public protocol LeaderElectionClock: Sendable {
    /// Time since an arbitrary fixed origin.
    func now() -> Duration
    func sleep(for duration: Duration) async throws
}

/// The real clock.
public struct SystemLeaderElectionClock: LeaderElectionClock {
    private let origin = ContinuousClock.now
    public init() {}
    public func now() -> Duration { ContinuousClock.now - origin }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}
