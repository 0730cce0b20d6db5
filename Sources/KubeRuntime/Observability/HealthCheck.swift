import KubeClient
import KubeCore

/// One named check behind `/readyz` or `/healthz`: `true` when it passes. Checks run on every
/// probe, so they must be cheap and must not block (read state, don't call the API server).
public struct HealthCheck: Sendable {
    public let name: String
    let check: @Sendable () async -> Bool

    public init(_ name: String, _ check: @escaping @Sendable () async -> Bool) {
        self.name = name
        self.check = check
    }

    /// Passes once the informer's first list is in its store (and it runs).
    public static func synced<K: KubeObject>(_ informer: Informer<K>) -> HealthCheck {
        HealthCheck("informer \(informer.metricsName) synced") { [weak informer] in
            guard let informer else { return false }
            return informer.store.isSynced
        }
    }

    /// Passes once the elector knows the state of its Lease (it leads, or has seen who does):
    /// a replica that cannot reach the Lease is not ready.
    public static func leaderElection(_ elector: LeaderElector) -> HealthCheck {
        HealthCheck("leader election \(elector.config.leaseName)") { [weak elector] in
            elector?.isStateKnown ?? false
        }
    }
}
