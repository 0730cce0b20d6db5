import KubeCore

/// Which object to reconcile: a namespace (absent for cluster-scoped objects) and a name.
public struct ObjectKey: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String?
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
        self.name = name
    }

    /// The key of `object`.
    public init(_ object: some KubeObject) {
        self.init(namespace: object.metadata.namespace, name: object.metadata.name ?? "")
    }

    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }
}

/// What to do after a reconcile.
public enum ReconcileResult: Sendable, Hashable {
    /// Done until something changes.
    case done
    /// Run again soon, with the work queue's rate-limited backoff.
    case requeue
    /// Run again after this long (periodic re-checks).
    case requeueAfter(Duration)
}

/// The logic of a controller: make the world match one object's spec.
///
/// `reconcile` is called with the key of an object that (may have) changed, never
/// concurrently for the same key, and must be idempotent: it reads the current state
/// (from an informer's store or the API) rather than trusting what triggered it. A
/// thrown error retries the key with exponential backoff (5 ms → 1000 s).
public protocol Reconciler: Sendable {
    func reconcile(_ key: ObjectKey) async throws -> ReconcileResult
}

/// A reconciler made from a closure.
public struct ReconcileFunction: Reconciler {
    private let body: @Sendable (ObjectKey) async throws -> ReconcileResult
    public init(_ body: @escaping @Sendable (ObjectKey) async throws -> ReconcileResult) { self.body = body }
    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult { try await body(key) }
}
