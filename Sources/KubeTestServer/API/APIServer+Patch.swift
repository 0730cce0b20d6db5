import Foundation
import KubeCore

/// The four patch content types kube-apiserver accepts.
enum PatchKind: String, Sendable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategicMerge = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"

    static let all: [PatchKind] = [.json, .merge, .strategicMerge, .apply]
}

/// One patch request, as the patch engine needs it.
struct PatchRequest: Sendable {
    var kind: PatchKind
    var body: Data
    var fieldManager: String?
    var force: Bool
    var resource: ServedResource
    var name: String
    var namespace: String?
}

extension APIServer {
    func patch(_ request: ServerRequest, info: RequestInfo, resource: ServedResource) async throws(APIError) -> ServerResponse {
        let contentType = (request.headers["content-type"] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard let kind = PatchKind(rawValue: contentType) else {
            throw APIError.unsupportedMediaType(contentType, accepted: PatchKind.all.map(\.rawValue))
        }
        let fieldManager = request.queryValue("fieldManager")
        if kind == .apply && (fieldManager ?? "").isEmpty {
            throw APIError.badRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
        }
        if let fieldManager, fieldManager.count > 128 {
            throw APIError.badRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes")
        }
        let force = request.queryFlag("force")
        if force && kind != .apply {
            throw APIError.badRequest("PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch")
        }
        let context = try writeContext(request)
        let patch = PatchRequest(
            kind: kind, body: request.body, fieldManager: fieldManager, force: force, resource: resource, name: info.name,
            namespace: resource.namespaced ? info.namespace : nil)
        let subresource = info.subresource.isEmpty ? nil : info.subresource
        let result = try await store.readModifyWrite(resource, namespace: patch.namespace, name: info.name, subresource: subresource, context: context) {
            current throws(APIError) in
            try PatchEngine.apply(patch, to: current)
        }
        return try respondObject(request, result.created ? 201 : 200, result.object, resource: resource)
    }
}

/// Applies a patch to the stored object. This is the single function that the
/// `APIServerSemantics` implementations plug into.
enum PatchEngine {
    static func apply(_ patch: PatchRequest, to current: JSONValue?) throws(APIError) -> JSONValue {
        switch patch.kind {
        case .merge:
            guard let current else { throw APIError.notFound(patch.resource.groupResource, patch.name) }
            let document = try JSONWriter.parse(patch.body)
            return mergePatch(current, document)
        case .json, .strategicMerge, .apply:
            throw APIError.unsupportedMediaType(patch.kind.rawValue, accepted: [PatchKind.merge.rawValue])
        }
    }

    /// RFC 7386 JSON merge patch.
    static func mergePatch(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchMembers {
            if value == .null {
                result.removeValue(forKey: key)
            } else {
                result[key] = mergePatch(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }
}
