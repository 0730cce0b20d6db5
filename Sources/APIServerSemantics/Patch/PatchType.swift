import Foundation
import KubeCore

/// The patch content types kube-apiserver accepts on `PATCH`.
public enum PatchType: String, Sendable, Hashable, CaseIterable {
    case jsonPatch = "application/json-patch+json"
    case mergePatch = "application/merge-patch+json"
    case strategicMergePatch = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"

    /// The type of a `Content-Type` header (parameters such as `; charset=utf-8` ignored);
    /// `nil` for anything else.
    public init?(contentType: String) {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        if mediaType == "application/apply-patch+json" {
            self = .apply
            return
        }
        self.init(rawValue: mediaType)
    }

    /// The 415 `Status` for an unsupported patch content type, listing what the resource
    /// accepts (custom resources do not accept strategic merge patch).
    public static func unsupportedMediaTypeStatus(customResource: Bool) -> Status {
        var accepted = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
        if !customResource { accepted.append("application/strategic-merge-patch+json") }
        return Status(
            message: "the body of the request was in an unknown format - accepted media types include: "
                + accepted.joined(separator: ", "),
            reason: StatusReason.unsupportedMediaType, code: 415)
    }

    /// Applies a JSON Patch, merge patch or strategic merge patch body to `document`, an
    /// object of `kind`. Strategic merge patch of a kind `schema` does not know is refused
    /// with ``PatchError/unsupportedForCustomResources``. Server-side apply is not a patch in
    /// this sense: use ``ServerSideApply`` (this throws ``PatchError/malformedPatch`` for it).
    public func apply(_ body: Data, to document: JSONValue, kind: GroupVersionKind, schema: PatchSchema)
        throws(PatchError) -> JSONValue
    {
        switch self {
        case .jsonPatch: try JSONPatch.apply(body, to: document)
        case .mergePatch: try MergePatch.apply(body, to: document)
        case .strategicMergePatch: try StrategicMergePatch.apply(body, to: document, kind: kind, schema: schema)
        case .apply: throw .malformed("server-side apply bodies are applied with ServerSideApply.apply")
        }
    }
}
