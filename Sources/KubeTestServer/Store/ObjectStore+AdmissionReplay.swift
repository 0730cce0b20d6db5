import APIServerSemantics
import Foundation
import KubeCore

/// The store's half of webhook admission (see `APIServer.admitted`): the mutating webhooks'
/// patches replayed on the object being written, validated again, under a pin on the
/// object version they were computed against.
extension ObjectStore {
    /// Applies the admission patches (in order) and validates the result as the original
    /// write was validated; a spec change made by a webhook bumps `generation`.
    func applyAdmissionPatches(
        _ object: JSONValue, resource: ServedResource, name: String, old: JSONValue?, subresource: String? = nil,
        context: WriteContext
    ) throws(APIError) -> JSONValue {
        guard let patches = context.admission?.patches, !patches.isEmpty else { return object }
        var patched = object
        for patch in patches {
            do {
                patched = try JSONPatch.apply(patch, to: patched)
            } catch {
                throw APIError.internalError(error.message)
            }
        }
        guard patched != object else { return object }
        try Validation.validate(patched, resource: resource, name: name, isCreate: old == nil, allowsPrivileged: allowsPrivileged)
        if let old {
            try Validation.validateUpdate(old: old, new: patched, resource: resource, name: name, subresource: subresource)
            if let generation = old["metadata"]?["generation"]?.intValue, patched["metadata"]?["generation"]?.intValue == generation,
                Self.specChanged(old, patched, countsStatus: countsStatusInGeneration(resource))
            {
                patched["metadata"]?["generation"] = .int(generation + 1)
            }
        }
        return patched
    }

    /// A write admitted against an older version of the object is a conflict (admission runs again).
    func checkAdmissionPin(_ stored: JSONValue, resource: ServedResource, name: String, context: WriteContext) throws(APIError) {
        guard let expected = context.admission?.expectedResourceVersion else { return }
        if stored["metadata"]?["resourceVersion"]?.stringValue != expected {
            throw APIError.conflict(resource.groupResource, name, APIError.modifiedMessage)
        }
    }
}
