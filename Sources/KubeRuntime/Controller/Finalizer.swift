import KubeClient
import KubeCore

/// The finalizer dance, as kube-rs `finalizer()` does it:
/// - a live object without the finalizer gets it added (a JSON Patch guarded by a `test`
///   of the current list, so concurrent writers cannot lose it) and reconcile ends there
///   (the update triggers the next reconcile);
/// - a live object with the finalizer runs `apply`;
/// - an object being deleted that still carries the finalizer runs `cleanup`, and only when
///   that succeeds the finalizer is removed (again guarded by a `test`), letting the
///   deletion finish;
/// - an object being deleted without the finalizer needs nothing.
public func finalize<K: KubeObject>(
    _ object: K, api: Api<K>, finalizer: String,
    apply: (K) async throws -> ReconcileResult, cleanup: (K) async throws -> ReconcileResult
) async throws -> ReconcileResult {
    guard let name = object.metadata.name else { return .done }
    let finalizers = object.metadata.finalizers ?? []
    let current: JSONValue = .array(finalizers.map { .string($0) })
    if object.metadata.deletionTimestamp != nil {
        guard let index = finalizers.firstIndex(of: finalizer) else { return .done }
        let result = try await cleanup(object)
        _ = try await api.patch(name, .json([.test("/metadata/finalizers", current), .remove("/metadata/finalizers/\(index)")]))
        return result
    }
    guard finalizers.contains(finalizer) else {
        let patch: Patch =
            object.metadata.finalizers == nil
            ? .json([.add("/metadata/finalizers", [.string(finalizer)])])
            : .json([.test("/metadata/finalizers", current), .add("/metadata/finalizers/-", .string(finalizer))])
        _ = try await api.patch(name, patch)
        return .done
    }
    return try await apply(object)
}
