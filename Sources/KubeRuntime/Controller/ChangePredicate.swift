import KubeCore

/// Decides whether an informer event should reconcile (controller-runtime's predicates).
///
/// The ready-made ones filter updates only: an added or deleted object always passes, and an
/// update passes when the named part changed. Combine with ``any(_:)``; a source's list of
/// predicates must all pass.
///
/// ```swift
/// Controller(primary: apps, reconciler: r, predicates: [.any(.generationChanged, .labelsChanged)])
/// ```
public struct ChangePredicate<K: KubeObject>: Sendable {
    let accepts: @Sendable (InformerEvent<K>) -> Bool

    /// A predicate of your own: `true` lets the event reconcile.
    public init(_ accepts: @escaping @Sendable (InformerEvent<K>) -> Bool) {
        self.accepts = accepts
    }

    /// `true` when the event passes.
    public func evaluate(_ event: InformerEvent<K>) -> Bool { accepts(event) }

    /// An update passes when `part` differs between the old and the new object.
    public static func updated<Value: Equatable & Sendable>(_ part: @escaping @Sendable (K) -> Value) -> ChangePredicate {
        ChangePredicate { event in
            guard case .modified(let old, let new) = event else { return true }
            return part(old) != part(new)
        }
    }

    /// `metadata.generation` changed: the spec changed (status-only and metadata-only writes do
    /// not bump it). Objects without a generation (ConfigMaps, most core kinds) never pass an update.
    public static var generationChanged: ChangePredicate { updated { $0.metadata.generation } }

    /// `metadata.labels` changed.
    public static var labelsChanged: ChangePredicate { updated { $0.metadata.labels ?? [:] } }

    /// `metadata.annotations` changed.
    public static var annotationsChanged: ChangePredicate { updated { $0.metadata.annotations ?? [:] } }

    /// `metadata.resourceVersion` changed (drops the unchanged copies a relist replays).
    public static var resourceVersionChanged: ChangePredicate { updated { $0.metadata.resourceVersion } }

    /// Passes when any of `predicates` passes.
    public static func any(_ predicates: ChangePredicate...) -> ChangePredicate {
        ChangePredicate { event in predicates.contains { $0.accepts(event) } }
    }

    /// Passes when all of `predicates` pass (an empty list passes).
    static func all(_ predicates: [ChangePredicate], _ event: InformerEvent<K>) -> Bool {
        predicates.allSatisfy { $0.accepts(event) }
    }
}
