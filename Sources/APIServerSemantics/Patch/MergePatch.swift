import Foundation
import KubeCore

/// RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge
/// recursively, `null` deletes a member, anything else (including arrays) replaces.
///
/// This is also what kube-apiserver does for custom resources, which have no
/// strategic merge schema.
public enum MergePatch {
    /// Applies `patch` to `document` (RFC 7386 `MergePatch(Target, Patch)`). Never fails:
    /// a non-object patch replaces the whole document.
    public static func apply(_ patch: JSONValue, to document: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = document.objectValue ?? [:]
        for (key, value) in patchMembers {
            if value == .null {
                result.removeValue(forKey: key)
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }

    /// Applies the JSON text `patch` to `document`.
    ///
    /// - Throws: ``PatchError/malformedPatch`` when `patch` is not JSON.
    public static func apply(_ patch: Data, to document: JSONValue) throws(PatchError) -> JSONValue {
        apply(try decodeJSON(patch), to: document)
    }

    /// The merge patch that turns `original` into `modified` (objects diffed member by
    /// member, removed members as `null`, everything else replaced whole).
    public static func diff(from original: JSONValue, to modified: JSONValue) -> JSONValue {
        guard case .object(let old) = original, case .object(let new) = modified else { return modified }
        var patch: [String: JSONValue] = [:]
        for key in old.keys where new[key] == nil {
            patch[key] = .null
        }
        for (key, value) in new {
            guard let before = old[key] else {
                patch[key] = value
                continue
            }
            if jsonEqual(before, value) { continue }
            if case .object = before, case .object = value {
                patch[key] = diff(from: before, to: value)
            } else {
                patch[key] = value
            }
        }
        return .object(patch)
    }
}
