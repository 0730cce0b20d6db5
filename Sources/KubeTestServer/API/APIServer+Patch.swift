import APIServerSemantics
import Foundation
import KubeCore
import KubeModels

/// One patch request, as the patch engine needs it.
struct PatchRequest: Sendable {
    var type: PatchType
    var body: Data
    /// The writer: `fieldManager`, or for non-apply patches the user agent's default.
    var fieldManager: String
    var force: Bool
    var resource: ServedResource
    var name: String
    var namespace: String?
    /// `status` (or `scale`) for a subresource patch, `nil` for the main resource.
    var subresource: String?
}

extension APIServer {
    /// `PATCH`: JSON Patch, JSON merge patch, strategic merge patch (built-in kinds only,
    /// 415 for custom resources like kube) and server-side apply, with kube's PatchOptions checks.
    func patch(_ request: ServerRequest, info: RequestInfo, resource: ServedResource, user: UserInfo) async throws(APIError) -> ServerResponse {
        let customResource = BuiltinPatchSchema.schema.kinds[resource.groupVersionKind] == nil
        guard let type = PatchType(contentType: request.headers["content-type"] ?? "") else {
            // No PATCH route consumes the type: kube-apiserver's router answers, not the handler.
            throw APIError.routeUnsupportedMediaType
        }
        if type == .strategicMergePatch && customResource {
            throw APIError(status: PatchType.unsupportedMediaTypeStatus(customResource: true))
        }
        let force = request.queryFlag("force")
        let fieldManager: String
        if type == .apply {
            fieldManager = request.queryValue("fieldManager") ?? ""
            do { try ServerSideApply.validate(fieldManager: fieldManager) } catch { throw APIError(status: error.status) }
        } else {
            if force {
                throw APIError(status: APIServerSemantics.FieldError.invalidStatus(
                    kind: "PatchOptions", group: "meta.k8s.io", name: "",
                    errors: [.init(.forbidden, field: "force", detail: "may not be specified for non-apply patch")]))
            }
            fieldManager = try writeFieldManager(request)
        }
        var context = try writeContext(request)
        context.fieldManager = type == .apply ? nil : fieldManager
        context.managedFieldsFromBody = type == .apply
        if info.subresource == "scale" && type != .apply {
            return try await patchScale(request, type: type, info: info, resource: resource, context: context)
        }
        let patch = PatchRequest(
            type: type, body: request.body, fieldManager: fieldManager, force: force, resource: resource, name: info.name,
            namespace: resource.namespaced ? info.namespace : nil, subresource: info.subresource.isEmpty ? nil : info.subresource)
        let store = self.store
        var created = false
        let result = try await admitted(
            .update, resource: resource, subresource: info.subresource, namespace: patch.namespace, requestName: info.name, user: user,
            context: context, options: Self.admissionOptions("PatchOptions", context)
        ) { context throws(APIError) in
            let result = try await store.readModifyWrite(
                resource, namespace: patch.namespace, name: info.name, subresource: patch.subresource, context: context
            ) { current throws(APIError) in
                try PatchEngine.apply(patch, to: current)
            }
            created = result.created
            return result.object
        }
        return try await respondObject(request, created ? 201 : 200, result.object, resource: resource).adding(Self.warningHeaders(result.warnings))
    }
}

extension APIServer {
    /// `PATCH .../scale`: the patch applies to the `autoscaling/v1` Scale and the answer is the
    /// Scale, as in kube; its `spec.replicas` (and a `resourceVersion` precondition) go to the object.
    private func patchScale(
        _ request: ServerRequest, type: PatchType, info: RequestInfo, resource: ServedResource, context: WriteContext
    ) async throws(APIError) -> ServerResponse {
        let body = request.body
        let paths = registry.customTraits(resource)
        let result = try await store.readModifyWrite(
            resource, namespace: resource.namespaced ? info.namespace : nil, name: info.name, subresource: "scale", context: context
        ) { current throws(APIError) in
            guard let current else { throw APIError.notFound(resource.groupResource, info.name) }
            let patched: JSONValue
            do throws(PatchError) {
                patched = try type.apply(
                    body, to: Scale.from(current, custom: paths), kind: GroupVersionKind(group: "autoscaling", version: "v1", kind: "Scale"),
                    schema: BuiltinPatchSchema.schema)
            } catch {
                throw APIError(status: error.status)
            }
            try Scale.validate(patched, name: info.name)
            let rv = patched["metadata"]?["resourceVersion"]?.stringValue
            return Scale.settingReplicas(
                current, patched["spec"]?["replicas"], custom: paths,
                resourceVersion: rv != current["metadata"]?["resourceVersion"]?.stringValue ? rv : nil)
        }
        return .json(200, JSONWriter.data(Scale.from(result.object, custom: paths)))
    }
}

extension ServedResource {
    var groupVersionKind: GroupVersionKind { GroupVersionKind(group: group, version: version, kind: kind) }
}

/// Applies a patch to the stored object (`nil` when there is none) with the
/// `APIServerSemantics` engines; runs inside the store's read-modify-write.
enum PatchEngine {
    static func apply(_ patch: PatchRequest, to current: JSONValue?) throws(APIError) -> JSONValue {
        let schema = BuiltinPatchSchema.schema
        let kind = patch.resource.groupVersionKind
        guard patch.type == .apply else {
            guard let current else { throw APIError.notFound(patch.resource.groupResource, patch.name) }
            // Patches address the version in the URL.
            var document = current
            document["apiVersion"] = .string(patch.resource.apiVersion)
            document["kind"] = .string(patch.resource.kind)
            let patched: JSONValue
            do {
                patched = try patch.type.apply(patch.body, to: document, kind: kind, schema: schema)
            } catch {
                throw Self.patchFailure(error, type: patch.type)
            }
            try Self.checkGoTypes(patched, patch: patch)
            return patched
        }
        var applied = try YAMLBody.parse(patch.body)
        guard case .object = applied else {
            throw APIError.badRequest("the apply configuration must be a JSON or YAML object")
        }
        if let apiVersion = applied["apiVersion"]?.stringValue, apiVersion != patch.resource.apiVersion {
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(patch.resource.apiVersion))")
        }
        if let kindName = applied["kind"]?.stringValue, kindName != patch.resource.kind {
            throw APIError.badRequest(
                "\(kindName) in version \"\(patch.resource.version)\" cannot be handled as a \(patch.resource.kind): the kind in the data (\(kindName)) does not match the expected kind (\(patch.resource.kind))")
        }
        if applied["apiVersion"] == nil || applied["kind"] == nil {
            throw APIError.badRequest("apiVersion and kind must be set in the apply configuration")
        }
        if let name = applied["metadata"]?["name"]?.stringValue, !name.isEmpty, name != patch.name {
            throw APIError.badRequest("the name of the object (\(name)) does not match the name on the URL (\(patch.name))")
        }
        // The reset fields of kube's strategies: `status` is not applied through the main
        // resource, only `status` (and metadata) through `/status`.
        if patch.subresource == "status" {
            applied = applied.filteringMembers(["apiVersion", "kind", "metadata", "status"])
        } else if patch.resource.hasStatus {
            applied["status"] = nil
        }
        var live = current
        if live != nil {
            live?["apiVersion"] = .string(patch.resource.apiVersion)
            live?["kind"] = .string(patch.resource.kind)
        }
        do {
            var result = try ServerSideApply.apply(
                live: live, applied: applied, fieldManager: patch.fieldManager, force: patch.force,
                subresource: patch.subresource, time: Date(), schema: schema)
            if current == nil {
                result["metadata"]?["name"] = .string(patch.name)
            }
            return result
        } catch {
            throw APIError(status: error.status)
        }
    }
}

extension PatchEngine {
    /// A patch whose result does not fit the kind's Go types is kube's 422 on the `patch` field
    /// (with an empty kind and name, as kube reports it): for JSON and merge patches Go's
    /// `encoding/json` error on the patched object, for a strategic merge patch the unstructured
    /// converter's, on the patch as Go prints a map.
    static func checkGoTypes(_ patched: JSONValue, patch: PatchRequest) throws(APIError) {
        let protobuf = BuiltinProtobufSchema.schema
        let resource = patch.resource
        guard let mismatch = protobuf.goTypeMismatch(in: patched, apiVersion: resource.apiVersion, kind: resource.kind) else { return }
        let body = (try? JSONDecoder().decode(JSONValue.self, from: patch.body)) ?? .null
        let value: String
        let detail: String
        if patch.type == .strategicMergePatch {
            value = GoFormat.value(body)
            let source = GoFormat.kind(mismatch.jsonType)
            switch mismatch.goKind {
            case "map", "slice": detail = "cannot restore \(mismatch.goKind) from \(source)"
            case "struct": detail = "cannot restore struct from: \(source)"
            default: detail = mismatch.unmarshalMessage
            }
        } else {
            // The merge patch rewrote the members it names; Go re-marshals the top level as a map.
            let rewritten: Set<String> =
                switch body {
                case .object(let members): Set(members.keys)
                case .array(let operations):
                    Set(operations.compactMap { $0["path"]?.stringValue?.split(separator: "/").first.map(String.init) })
                default: []
                }
            value = protobuf.goOrderedJSON(patched, apiVersion: resource.apiVersion, kind: resource.kind, sortedTopLevel: true, rewritten: rewritten)
            detail = mismatch.unmarshalMessage
        }
        throw APIError.invalid(kind: "", group: "", name: "", causes: [APIServerSemantics.FieldError(.invalid, field: "patch", value: .string(value), detail: detail).cause])
    }

    /// How kube-apiserver's patch handler reports a patch that cannot be applied: a body
    /// it cannot decode is a 400 `error decoding patch: …`; a JSON Patch whose operations
    /// do not apply is a bare 422 (the generic message, empty details: the library's text
    /// is not passed on).
    static func patchFailure(_ error: PatchError, type: PatchType) -> APIError {
        if error == .malformedPatch && (type == .jsonPatch || type == .mergePatch) {
            return APIError(code: 400, reason: StatusReason.badRequest, message: "error decoding patch: " + error.message)
        }
        if type == .jsonPatch && error.httpStatus == 422 {
            return APIError(status: Status(
                message: "the server rejected our request due to an error in our request", reason: StatusReason.invalid,
                details: StatusDetails(), code: 422))
        }
        return APIError(status: error.status)
    }
}

extension JSONValue {
    /// An object with only the members named in `keys`.
    func filteringMembers(_ keys: Set<String>) -> JSONValue {
        guard case .object(let members) = self else { return self }
        return .object(members.filter { keys.contains($0.key) })
    }
}

/// Go's `fmt` `%v` of decoded JSON (`map[data:[x]]`) and `reflect.Kind` names of unstructured values.
enum GoFormat {
    static func value(_ value: JSONValue) -> String {
        switch value {
        case .null: "<nil>"
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .double(let number): ProtobufSchema.goNumber(number)
        case .string(let text): text
        case .array(let items): "[" + items.map(Self.value).joined(separator: " ") + "]"
        case .object(let members): "map[" + members.keys.sorted().map { "\($0):\(Self.value(members[$0]!))" }.joined(separator: " ") + "]"
        }
    }

    /// The kind of an unstructured value of this JSON type (`array` → `slice`).
    static func kind(_ jsonType: String) -> String {
        switch jsonType {
        case "array": "slice"
        case "object": "map"
        case "number": "float64"
        default: jsonType.hasPrefix("number") ? "int64" : jsonType
        }
    }
}
