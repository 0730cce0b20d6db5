import KubeClient
import KubeCore

/// The finalizer dance, as kube-rs `finalizer()` does it:
/// - a live object without the finalizer gets it added and reconcile ends there (the update
///   triggers the next reconcile);
/// - a live object with the finalizer runs `apply`;
/// - an object being deleted that still carries the finalizer runs `cleanup`, and only when
///   that succeeds the finalizer is removed, letting the deletion finish;
/// - an object being deleted without the finalizer needs nothing.
///
/// Other controllers may add or remove their own finalizers at the same time, and `object`
/// usually comes from a cache that lags behind the server. So every change is a JSON Patch
/// guarded by a `test` of what it builds on (the current list, or the `resourceVersion` when
/// the object has no finalizers yet: a `test` of an absent field is not portable), and a failed
/// `test` (422) or a conflict re-reads the object and tries again (up to 5 times, then the error
/// is thrown and the key retried with backoff): another controller's finalizer is never overwritten.
public func finalize<K: KubeObject>(
    _ object: K, api: Api<K>, finalizer: String,
    apply: (K) async throws -> ReconcileResult, cleanup: (K) async throws -> ReconcileResult
) async throws -> ReconcileResult {
    guard object.metadata.name != nil else { return .done }
    let finalizers = object.metadata.finalizers ?? []
    if object.metadata.deletionTimestamp != nil {
        guard finalizers.contains(finalizer) else { return .done }
        let result = try await cleanup(object)
        try await patchFinalizers(of: object, api: api, finalizer: finalizer, change: .remove)
        return result
    }
    guard finalizers.contains(finalizer) else {
        try await patchFinalizers(of: object, api: api, finalizer: finalizer, change: .add)
        return .done
    }
    return try await apply(object)
}

/// How many times a finalizer change is tried against a moving object before the error is thrown.
let finalizerPatchAttempts = 5

enum FinalizerChange { case add, remove }

/// The guarded JSON Patch that makes the change on `metadata`, `nil` when there is nothing to do.
func finalizerPatch(_ metadata: ObjectMeta, finalizer: String, change: FinalizerChange) -> Patch? {
    let finalizers = metadata.finalizers ?? []
    let current: JSONValue = .array(finalizers.map { .string($0) })
    switch change {
    case .add:
        guard !finalizers.contains(finalizer) else { return nil }
        guard metadata.finalizers == nil else {
            return .json([.test("/metadata/finalizers", current), .add("/metadata/finalizers/-", .string(finalizer))])
        }
        // No list yet: the first `add` creates it, replacing whatever is there — so it must build
        // on exactly the version we read.
        guard let resourceVersion = metadata.resourceVersion, !resourceVersion.isEmpty else {
            return .json([.test("/metadata/finalizers", .null), .add("/metadata/finalizers", [.string(finalizer)])])
        }
        return .json([.test("/metadata/resourceVersion", .string(resourceVersion)), .add("/metadata/finalizers", [.string(finalizer)])])
    case .remove:
        guard let index = finalizers.firstIndex(of: finalizer) else { return nil }
        return .json([.test("/metadata/finalizers", current), .remove("/metadata/finalizers/\(index)")])
    }
}

private func patchFinalizers<K: KubeObject>(of object: K, api: Api<K>, finalizer: String, change: FinalizerChange) async throws {
    guard let name = object.metadata.name else { return }
    var metadata = object.metadata
    for attempt in 1...finalizerPatchAttempts {
        guard let patch = finalizerPatch(metadata, finalizer: finalizer, change: change) else { return }
        do {
            _ = try await api.patch(name, patch)
            return
        } catch let error as KubeError where (error.isInvalid || error.isConflict) && attempt < finalizerPatchAttempts {
            // A failed `test`: someone else changed the object since we read it. Read it again.
            guard let fresh = try await api.getIfExists(name) else { return }
            if change == .add, fresh.metadata.deletionTimestamp != nil { return }
            metadata = fresh.metadata
        }
    }
}
