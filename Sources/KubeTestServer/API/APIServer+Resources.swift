import APIServerSemantics
import Foundation
import KubeCore
import KubeModels

/// The REST verbs on resources: get, list, watch, create, update, patch, delete,
/// deletecollection, plus the status, scale, token, log, eviction and binding subresources.
extension APIServer {
    /// Serves a resource request; `Warning` headers collected while it runs (unknown fields
    /// pruned from a custom object) are added to the response.
    func handleResource(_ request: ServerRequest, info: RequestInfo, user: UserInfo) async throws(APIError) -> ServerResponse {
        let warnings = WarningCollector()
        var response: ServerResponse
        do {
            response = try await RequestWarnings.$collector.withValue(warnings) {
                try await handleResourceVerb(request, info: info, user: user)
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.internalError(String(describing: error))
        }
        response.headers += warnings.all.map { ("Warning", WarningCollector.headerValue($0)) }
        return response
    }

    /// Built-in resources kube-apiserver still serves with a deprecation `Warning` on every request.
    static let deprecatedBuiltins: [String: String] = [
        "v1/endpoints": "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice",
        "v1/componentstatuses": "v1 ComponentStatus is deprecated in v1.19+",
    ]

    private func handleResourceVerb(_ request: ServerRequest, info: RequestInfo, user: UserInfo) async throws(APIError) -> ServerResponse {
        guard let resource = registry.resource(group: info.group, version: info.version, plural: info.resource) else {
            // kube-apiserver: a served group version answers a `Status` for an unknown resource; a
            // group or version it does not serve is not routed at all (plain-text 404).
            throw registry.resources(group: info.group, version: info.version) == nil ? APIError.pageNotFound : APIError.pathNotFound
        }
        if !info.subresource.isEmpty && (!resource.subresources.contains(info.subresource) || !Self.servedSubresources.contains(info.subresource)) {
            throw APIError.pathNotFound
        }
        if !resource.namespaced && !info.namespace.isEmpty && resource.plural != "namespaces" { throw APIError.pageNotFound }
        if resource.namespaced && info.namespace.isEmpty && !["list", "watch"].contains(info.verb) { throw APIError.pathNotFound }
        // Routes kube-apiserver does not register: POST to a named object, PUT/PATCH of a collection.
        if info.subresource.isEmpty && ((info.verb == "create" && !info.name.isEmpty) || (["update", "patch"].contains(info.verb) && info.name.isEmpty)) {
            throw APIError.routeMethodNotAllowed
        }
        if let deprecation = Self.deprecatedBuiltins["\(resource.apiVersion)/\(resource.plural)"] { RequestWarnings.collector?.add(deprecation) }
        if let deprecation = registry.customTraits(resource)?.deprecationWarning { RequestWarnings.collector?.add(deprecation) }
        // Custom resources have no protobuf form: protobuf alone is 406 (its Status in protobuf).
        if info.verb != "watch", registry.isCustom(resource), !ResponseForm.acceptsJSONOrYAML(request) {
            throw APIError.notAcceptable(ResponseForm.serializers)
        }
        if info.subresource != "log" && !Self.podStreamSubresources.contains(info.subresource) {
            // 406 before anything is done, like kube-apiserver's negotiation.
            _ = try ResponseForm.negotiate(request, list: ["list", "deletecollection"].contains(info.verb), watch: info.verb == "watch")
        }
        if let handled = try await handleVirtual(request, info: info, resource: resource, user: user) { return handled }
        let namespace: String? = resource.namespaced ? info.namespace : nil
        let sub = info.subresource
        if resource.groupResource == Self.podsResource, Self.podStreamSubresources.contains(sub), ["get", "create"].contains(info.verb) {
            return try await refuseUnupgradedStream(request, info: info)
        }
        switch info.verb {
        case "get":
            if sub == "log" { return try await podLog(request, namespace: info.namespace, name: info.name) }
            let object = try await store.get(resource, namespace: namespace, name: info.name)
            if sub == "scale" { return .json(200, JSONWriter.data(Scale.from(object, custom: registry.customTraits(resource)))) }
            return try await respondObject(request, 200, object, resource: resource)
        case "list":
            return try await list(request, info: info, resource: resource)
        case "watch":
            return try await watch(request, info: info, resource: resource)
        case "create":
            if resource.groupResource == Self.podsResource, sub == "eviction" {
                return try await evictPod(request, namespace: info.namespace, name: info.name)
            }
            if resource.groupResource == Self.podsResource, sub == "binding" {
                return try await bindPod(request, namespace: info.namespace, name: info.name)
            }
            if resource.groupResource == GroupResource(group: "", resource: "bindings") {
                return try await bindPod(request, namespace: info.namespace, name: nil)
            }
            guard sub.isEmpty else { throw APIError.methodNotSupported(resource.groupResource, verb: "create") }
            var body = try parseBody(request, kind: resource.kind)
            try checkTypeMeta(&body, resource: resource)
            let context = try writeContext(request)
            try checkStrictFields(request, body: &body, resource: resource, context: context)
            try await checkNoEscalation(body, resource: resource, namespace: namespace, user: user)
            let created = try await admitted(
                .create, resource: resource, subresource: "", namespace: namespace, requestName: body["metadata"]?["name"]?.stringValue ?? "",
                user: user, context: context, options: Self.admissionOptions("CreateOptions", context)
            ) { [body] context throws(APIError) in try await store.create(resource, namespace: namespace, body: body, context: context) }
            return try await respondObject(request, 201, created.object, resource: resource).adding(Self.warningHeaders(created.warnings))
        case "update":
            var body = try parseBody(request, kind: resource.kind)
            let context = try writeContext(request)
            if sub == "scale" {
                try Scale.validate(body, name: info.name)
                let replicas = body["spec"]?["replicas"]
                let current = try await store.get(resource, namespace: namespace, name: info.name)
                let paths = registry.customTraits(resource)
                let next = Scale.settingReplicas(current, replicas, custom: paths, resourceVersion: body["metadata"]?["resourceVersion"]?.stringValue)
                let updated = try await store.update(resource, namespace: namespace, name: info.name, body: next, subresource: "scale", context: context)
                return .json(200, JSONWriter.data(Scale.from(updated, custom: paths)))
            }
            try checkTypeMeta(&body, resource: resource)
            try checkStrictFields(request, body: &body, resource: resource, context: context)
            if sub.isEmpty, Self.createsOnUpdate.contains(resource.groupResource),
                !(await store.exists(resource.storageResource, namespace: namespace, name: info.name))
            {
                return try await createOnUpdate(request, body: body, info: info, resource: resource, user: user, context: context)
            }
            let updated = try await admitted(
                .update, resource: resource, subresource: sub, namespace: namespace, requestName: info.name, user: user, context: context,
                options: Self.admissionOptions("UpdateOptions", context)
            ) { [body] context throws(APIError) in
                try await store.update(resource, namespace: namespace, name: info.name, body: body, subresource: sub.isEmpty ? nil : sub, context: context)
            }
            return try await respondObject(request, 200, updated.object, resource: resource).adding(Self.warningHeaders(updated.warnings))
        case "patch":
            return try await patch(request, info: info, resource: resource, user: user)
        case "delete":
            let options = try deleteOptions(request)
            let context = try writeContext(request, deleteOptions: options)
            return try await admittedDelete(
                resource: resource, subresource: sub, namespace: namespace, name: info.name, user: user, dryRun: context.dryRun,
                options: Self.admissionOptions("DeleteOptions", context)
            ) { () throws(APIError) in
                let result = try await store.delete(
                    resource, namespace: namespace, name: info.name, preconditions: options.preconditions, options: options.deletion,
                    context: context)
                if result.deleted {
                    guard Self.returnsDeletedObject.contains(resource.groupResource) else {
                        // kube-apiserver's finalizeDelete: a Success Status naming what is gone.
                        let details = StatusDetails(
                            name: info.name, group: resource.group.nilIfEmpty, kind: resource.plural, uid: result.object["metadata"]?["uid"]?.stringValue)
                        return .json(200, JSONWriter.encode(Status(status: "Success", details: details)))
                    }
                    return try await respondObject(request, 200, result.object, resource: resource)
                }
                // kube answers 202 for an object left in place only when `orphanDependents=false` was asked.
                return try await respondObject(request, options.deletion.orphanDependents == false ? 202 : 200, result.object, resource: resource)
            }
        case "deletecollection":
            let options = try deleteOptions(request)
            let context = try writeContext(request, deleteOptions: options)
            let filter = try listFilter(request, info: info, resource: resource)
            // kube lists first and answers with that list (items as listed, the list's
            // resourceVersion), then deletes each item as a DELETE would.
            let page = try await store.list(resource, filter: filter, read: .current, limit: 0, continueToken: nil)
            for item in page.items {
                let name = item["metadata"]?["name"]?.stringValue ?? ""
                let itemNamespace = item["metadata"]?["namespace"]?.stringValue
                _ = try? await store.delete(resource, namespace: itemNamespace, name: name, options: options.deletion, context: context)
            }
            let listed = try await served(page.items, resource: resource, list: true).map { present($0, resource: resource) }
            return .json(200, JSONWriter.data(listJSON(listed, resource: resource, meta: ["resourceVersion": .string(String(page.resourceVersion))])))
        default:
            throw APIError.methodNotSupported(resource.groupResource, verb: info.verb)
        }
    }

    /// The resources kube-apiserver registers with `ReturnDeletedObject` (or a custom delete
    /// that returns the object): an immediate delete answers with the object. Every other
    /// resource answers with a Success `Status`.
    static let returnsDeletedObject: Set<GroupResource> = [
        GroupResource(group: "", resource: "pods"), GroupResource(group: "", resource: "services"),
        GroupResource(group: "", resource: "serviceaccounts"), GroupResource(group: "", resource: "namespaces"),
        GroupResource(group: "storage.k8s.io", resource: "storageclasses"),
        GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions"),
    ]

    /// The resources whose strategies `AllowCreateOnUpdate`: a PUT of a missing object creates it (201).
    static let createsOnUpdate: Set<GroupResource> = [
        GroupResource(group: "", resource: "endpoints"), GroupResource(group: "", resource: "events"),
        GroupResource(group: "", resource: "limitranges"), GroupResource(group: "", resource: "services"),
        GroupResource(group: "coordination.k8s.io", resource: "leases"), GroupResource(group: "events.k8s.io", resource: "events"),
        GroupResource(group: "rbac.authorization.k8s.io", resource: "roles"),
        GroupResource(group: "rbac.authorization.k8s.io", resource: "rolebindings"),
        GroupResource(group: "rbac.authorization.k8s.io", resource: "clusterroles"),
        GroupResource(group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"),
        GroupResource(group: "node.k8s.io", resource: "runtimeclasses"),
    ]

    /// A PUT that creates: the body's name must be the URL's (kube checks it before the
    /// store), then it is admitted and stored as a create.
    private func createOnUpdate(
        _ request: ServerRequest, body: JSONValue, info: RequestInfo, resource: ServedResource, user: UserInfo, context: WriteContext
    ) async throws(APIError) -> ServerResponse {
        var body = body
        let bodyName = body["metadata"]?["name"]?.stringValue ?? ""
        if !bodyName.isEmpty && bodyName != info.name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(info.name))")
        }
        if body["metadata"] == nil { body["metadata"] = [:] }
        body["metadata"]?["name"] = .string(info.name)
        let namespace: String? = resource.namespaced ? info.namespace : nil
        let created = try await admitted(
            .create, resource: resource, subresource: "", namespace: namespace, requestName: info.name, user: user, context: context,
            options: Self.admissionOptions("CreateOptions", context)
        ) { [body] context throws(APIError) in try await store.create(resource, namespace: namespace, body: body, context: context) }
        return try await respondObject(request, 201, created.object, resource: resource).adding(Self.warningHeaders(created.warnings))
    }

    /// Subresources with a handler (`proxy` would need a network to the pod; exec, attach and
    /// portforward reach the emulated kubelet over an upgraded connection).
    static let servedSubresources: Set<String> = ["status", "scale", "token", "log", "eviction", "binding", "exec", "attach", "portforward"]

    // MARK: - Bodies and type meta

    /// The request body as JSON. `kind`: the kind the path expects, named in kube's message
    /// for a YAML body that is not an object.
    func parseBody(_ request: ServerRequest, kind: String? = nil) throws(APIError) -> JSONValue {
        let contentType = (request.headers["content-type"] ?? "application/json").lowercased()
        if contentType.hasPrefix(ProtobufBodies.contentType) {
            return try ProtobufBodies.decode(request.body)
        }
        let isYAML = contentType.hasPrefix("application/yaml")
        if !contentType.isEmpty && !contentType.hasPrefix("application/json") && !contentType.hasPrefix("*/*") && !isYAML {
            throw APIError.unsupportedMediaType(contentType, accepted: ["application/json", "application/yaml", ProtobufBodies.contentType])
        }
        guard !request.body.isEmpty else { throw APIError.badRequest("the body of the request was empty") }
        let body = isYAML ? try YAMLBody.parse(request.body) : try JSONWriter.parse(request.body)
        guard case .object = body else {
            let parseError = "couldn't get version/kind; json parse error: json: cannot unmarshal \(body.jsonTypeName) into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }"
            if isYAML, let kind {
                let hex = request.body.map { String(format: "%02x", $0) }.joined()
                throw APIError.badRequest("the object provided is unrecognized (must be of type \(kind)): \(parseError) (\(hex))")
            }
            throw APIError.badRequest(parseError)
        }
        return body
    }

    /// A body's `apiVersion`/`kind` must match the path (they default to it when absent).
    func checkTypeMeta(_ body: inout JSONValue, resource: ServedResource) throws(APIError) {
        if !registry.isCustom(resource) { try checkBuiltinTypeMeta(body, resource: resource) }
        if let apiVersion = body["apiVersion"], let text = apiVersion.stringValue, !text.isEmpty, text != resource.apiVersion {
            throw APIError.badRequest("the API version in the data (\(text)) does not match the expected API version (\(resource.apiVersion))")
        }
        if let kind = body["kind"], let text = kind.stringValue, !text.isEmpty, text != resource.kind {
            throw APIError.badRequest("\(text) in version \"\(resource.version)\" cannot be handled as a \(resource.kind): no kind \"\(text)\" is registered for the resource \(resource.groupResource)")
        }
        if body["metadata"] != nil, body["metadata"]?.objectValue == nil {
            throw APIError.badRequest("metadata: must be an object")
        }
        body["apiVersion"] = .string(resource.apiVersion)
        body["kind"] = .string(resource.kind)
    }

    /// A built-in resource decodes its body with kube's scheme (recording 022): a kind of
    /// another built-in type fails to convert, and a kind the body's version does not have is
    /// not registered; the message names the body's kind and version.
    private func checkBuiltinTypeMeta(_ body: JSONValue, resource: ServedResource) throws(APIError) {
        let apiVersion = body["apiVersion"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? resource.apiVersion
        let kind = body["kind"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? resource.kind
        guard apiVersion != resource.apiVersion || kind != resource.kind else { return }
        let version = apiVersion.split(separator: "/").last.map(String.init) ?? apiVersion
        let prefix = "\(kind) in version \"\(version)\" cannot be handled as a \(resource.kind): "
        if BuiltinProtobufSchema.schema.hasMessage(apiVersion: apiVersion, kind: kind) {
            guard kind != resource.kind else { return }
            // The Go types: `v1.Secret` (the versioned package), `core.ConfigMap` (the internal one).
            let internalPackage = resource.group.isEmpty ? "core" : String(resource.group.split(separator: ".")[0])
            throw APIError.badRequest(prefix + "converting (\(version).\(kind)) to (\(internalPackage).\(resource.kind)): unknown conversion")
        }
        throw APIError.badRequest(prefix + "no kind \"\(kind)\" is registered for version \"\(apiVersion)\" in scheme \"pkg/api/legacyscheme/scheme.go:30\"")
    }

    /// kube's strict decoding of a built-in object sent as JSON: unknown and duplicate fields
    /// refuse the request under `fieldValidation=Strict` (400 `strict decoding error`) and are
    /// `Warning`s by default and under `Warn` (recording 035). The body is then what decoding
    /// into the Go type leaves: a duplicated object member merged into the first, and the fields
    /// the type does not have dropped. YAML and protobuf bodies are not scanned; custom objects
    /// are checked by their schema (``ObjectStore/admitCustomObject``).
    func checkStrictFields(_ request: ServerRequest, body: inout JSONValue, resource: ServedResource, context: WriteContext) throws(APIError) {
        guard !registry.isCustom(resource) else { return }
        let schema = BuiltinProtobufSchema.schema
        let contentType = (request.headers["content-type"] ?? "application/json").lowercased()
        var problems: [String] = []
        if contentType.hasPrefix("application/json") || contentType.hasPrefix("*/*") {
            let bytes = Array(request.body)
            problems = schema.strictFieldProblems(json: bytes, apiVersion: resource.apiVersion, kind: resource.kind) ?? []
            if problems.contains(where: { $0.hasPrefix("duplicate field") }),
                var decoded = schema.decodingAsGo(json: bytes, apiVersion: resource.apiVersion, kind: resource.kind)
            {
                decoded["apiVersion"] = .string(resource.apiVersion)
                decoded["kind"] = .string(resource.kind)
                body = decoded
            }
        }
        body = schema.droppingUnknownFields(body, apiVersion: resource.apiVersion, kind: resource.kind)
        guard !problems.isEmpty else { return }
        switch context.fieldValidation {
        case "Ignore":
            return
        case "Strict":
            throw APIError.badRequest(
                "\(resource.kind) in version \"\(resource.version)\" cannot be handled as a \(resource.kind): strict decoding error: "
                    + problems.joined(separator: ", "))
        default:
            for problem in problems { RequestWarnings.collector?.add(problem) }
        }
    }

    func writeContext(_ request: ServerRequest, deleteOptions: DeleteRequestOptions? = nil) throws(APIError) -> WriteContext {
        var context = WriteContext()
        context.fieldManager = try writeFieldManager(request)
        if let validation = request.queryValue("fieldValidation"), !validation.isEmpty {
            guard ["Strict", "Warn", "Ignore"].contains(validation) else {
                // kube validates the decoded options object of the verb (recording 035 step 7).
                let options = request.method == "PUT" ? "UpdateOptions" : request.method == "PATCH" ? "PatchOptions" : "CreateOptions"
                throw APIError.invalid(kind: options, group: "meta.k8s.io", name: "", causes: [
                    APIServerSemantics.FieldError(
                        .notSupported, field: "fieldValidation", value: .string(validation),
                        detail: #"supported values: "", "Ignore", "Strict", "Warn""#
                    ).cause
                ])
            }
            context.fieldValidation = validation
        }
        let values = (request.query["dryRun"] ?? []) + (deleteOptions?.dryRun ?? [])
        for value in values {
            guard value == "All" else {
                throw APIError.badRequest("Invalid value: \"\(value)\": supported values: \"All\"")
            }
            context.dryRun = true
        }
        return context
    }

    /// The manager of an ordinary write: the `fieldManager` parameter (at most 128 bytes),
    /// else kube's default from the user agent (`kubectl/v1.32 …` → `kubectl`).
    func writeFieldManager(_ request: ServerRequest) throws(APIError) -> String {
        guard let given = request.queryValue("fieldManager") else {
            return ServerSideApply.defaultFieldManager(userAgent: request.headers["user-agent"])
        }
        if given.utf8.count > ServerSideApply.maxFieldManagerLength {
            let kind = request.method == "POST" ? "CreateOptions" : request.method == "PATCH" ? "PatchOptions" : "UpdateOptions"
            throw APIError(status: APIServerSemantics.FieldError.invalidStatus(
                kind: kind, group: "meta.k8s.io", name: "",
                errors: [.init(.tooLong, field: "fieldManager", detail: "may not be more than \(ServerSideApply.maxFieldManagerLength) bytes")]))
        }
        return given
    }

    /// The object as returned: `apiVersion` and `kind` of the version asked for, custom objects defaulted.
    func present(_ object: JSONValue, resource: ServedResource) -> JSONValue {
        var object = StorageConversion.toServed(object, resource: resource)
        // Custom objects are defaulted on read too (a default added to the CRD after the
        // object was stored shows up), as kube-apiserver's decoder does.
        if let schema = registry.customSchema(resource) { object = schema.defaulted(object) }
        object["apiVersion"] = .string(resource.apiVersion)
        object["kind"] = .string(resource.kind)
        return object
    }

    /// A list as kube encodes it: the items carry no `apiVersion`/`kind` of their own.
    func listJSON(_ items: [JSONValue], resource: ServedResource, meta: [String: JSONValue]) -> JSONValue {
        if registry.isCustom(resource) {
            // Custom resource lists are unstructured: each item keeps apiVersion and kind, and
            // the list metadata always has `continue`.
            var meta = meta
            if meta["continue"] == nil { meta["continue"] = "" }
            let items = items.map { item -> JSONValue in
                var item = item
                item["apiVersion"] = .string(resource.apiVersion)
                item["kind"] = .string(resource.kind)
                return item
            }
            return ["apiVersion": .string(resource.apiVersion), "kind": .string("\(resource.kind)List"), "metadata": .object(meta), "items": .array(items)]
        }
        let bare = items.map { item -> JSONValue in
            var item = item
            item["apiVersion"] = nil
            item["kind"] = nil
            return item
        }
        return ["apiVersion": .string(resource.apiVersion), "kind": .string("\(resource.kind)List"), "metadata": .object(meta), "items": .array(bare)]
    }

    /// One object in the form the client asked for: JSON (YAML is re-encoded on the way
    /// out), a Table, or PartialObjectMetadata.
    func respondObject(_ request: ServerRequest, _ status: Int, _ object: JSONValue, resource: ServedResource) async throws(APIError) -> ServerResponse {
        let presented = present(try await served(object, resource: resource), resource: resource)
        switch try ResponseForm.negotiate(request, list: false, watch: false) {
        case .table(let version):
            let table = try await tableOutput(request, version: version, resource: resource)
            let meta: JSONValue = ["resourceVersion": presented["metadata"]?["resourceVersion"] ?? ""]
            return .json(status, JSONWriter.data(table.table([presented], listMetadata: meta)))
        case .metadata(let version):
            return .json(status, JSONWriter.data(PartialObjectMetadata.object(presented, version: version)))
        case .json, .yaml:
            return .json(status, JSONWriter.data(presented))
        }
    }

    // MARK: - Delete options

    struct DeleteRequestOptions: Sendable {
        var preconditions = ObjectStore.DeletePreconditions()
        var dryRun: [String] = []
        var deletion = DeletionOptions()

        init() {}

        /// Preconditions, `dryRun` and the deletion options of a `metav1.DeleteOptions` body.
        init(deleteOptionsBody body: JSONValue) {
            preconditions.uid = body["preconditions"]?["uid"]?.stringValue
            preconditions.resourceVersion = body["preconditions"]?["resourceVersion"]?.stringValue
            dryRun = body["dryRun"]?.arrayValue?.compactMap(\.stringValue) ?? []
            deletion = DeletionOptions(deleteOptionsBody: body)
        }
    }

    /// `DeleteOptions` from the body and the query (the query wins), validated as kube's
    /// `ValidateDeleteOptions`: 422 `DeleteOptions.meta.k8s.io "" is invalid: …`.
    func deleteOptions(_ request: ServerRequest) throws(APIError) -> DeleteRequestOptions {
        var options = DeleteRequestOptions()
        if !request.body.isEmpty {
            let body = try JSONWriter.parse(request.body)
            options = DeleteRequestOptions(deleteOptionsBody: body)
        }
        if let policy = request.queryValue("propagationPolicy") { options.deletion.propagationPolicy = policy }
        if let text = request.queryValue("gracePeriodSeconds") {
            guard let seconds = Int64(text) else { throw APIError.badRequest("strconv.ParseInt: parsing \"\(text)\": invalid syntax") }
            options.deletion.gracePeriodSeconds = seconds
        }
        if let text = request.queryValue("orphanDependents") {
            guard let flag = Self.goBool(text) else { throw APIError.badRequest("strconv.ParseBool: parsing \"\(text)\": invalid syntax") }
            options.deletion.orphanDependents = flag
        }
        var errors: [StatusCause] = []
        if let policy = options.deletion.propagationPolicy {
            if options.deletion.orphanDependents != nil {
                errors.append(FieldError.invalid("propagationPolicy", policy, "orphanDependents and deletionPropagation cannot be both set"))
            }
            if !["Orphan", "Background", "Foreground"].contains(policy) {
                errors.append(StatusCause(
                    reason: "FieldValueNotSupported",
                    message: "Unsupported value: \"\(policy)\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
                    field: "propagationPolicy"))
            }
        }
        if !errors.isEmpty {
            throw APIError.invalid(kind: "DeleteOptions", group: "meta.k8s.io", name: "", causes: errors)
        }
        return options
    }

    /// Go's `strconv.ParseBool`.
    static func goBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }
}

/// `autoscaling/v1.Scale` for the scale subresource.
enum Scale {
    /// kube's `ValidateScale`: replicas must not be negative.
    static func validate(_ scale: JSONValue, name: String) throws(APIError) {
        if let replicas = scale["spec"]?["replicas"]?.intValue, replicas < 0 {
            throw APIError.invalid(kind: "Scale", group: "autoscaling", name: name, causes: [
                APIServerSemantics.FieldError(.invalid, field: "spec.replicas", value: .int(replicas), detail: "must be greater than or equal to 0").cause
            ])
        }
    }

    /// The Scale of an object: built-in kinds read `spec.replicas`, `status.replicas` and
    /// `spec.selector.matchLabels`; custom resources the CRD's `specReplicasPath`,
    /// `statusReplicasPath` and `labelSelectorPath` (a string, as kube's scale for CRs reads it).
    static func from(_ object: JSONValue, custom: CustomVersionTraits? = nil) -> JSONValue {
        let metadata = object.metadataObject
        var scaleMeta: [String: JSONValue] = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { scaleMeta[key] = metadata[key] }
        var selector = ""
        var specReplicas = object["spec"]?["replicas"]
        var statusReplicas = object["status"]?["replicas"]
        if let custom {
            specReplicas = custom.specReplicasPath.flatMap { object.value(atPath: $0) }
            statusReplicas = custom.statusReplicasPath.flatMap { object.value(atPath: $0) }
            selector = custom.labelSelectorPath.flatMap { object.value(atPath: $0)?.stringValue } ?? ""
        } else if let labels = object["spec"]?["selector"]?["matchLabels"]?.objectValue {
            selector = labels.keys.sorted().map { "\($0)=\(labels[$0]?.stringValue ?? "")" }.joined(separator: ",")
        }
        return [
            "apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": .object(scaleMeta),
            "spec": ["replicas": specReplicas ?? 0],
            "status": ["replicas": statusReplicas ?? 0, "selector": .string(selector)],
        ]
    }

    /// The object with the Scale's replicas written where its kind keeps them.
    static func settingReplicas(_ object: JSONValue, _ replicas: JSONValue?, custom: CustomVersionTraits?, resourceVersion: String?) -> JSONValue {
        var next = object
        let path = (custom?.specReplicasPath ?? "spec.replicas").split(separator: ".").map(String.init)
        next = next.setting(path, to: replicas ?? .null)
        if let resourceVersion { next["metadata"]?["resourceVersion"] = .string(resourceVersion) }
        return next
    }
}

extension JSONValue {
    /// The value with `path` set (intermediate objects created).
    fileprivate func setting(_ path: [String], to value: JSONValue) -> JSONValue {
        guard let first = path.first else { return value }
        var object = self.objectValue ?? [:]
        object[first] = (object[first] ?? .object([:])).setting(Array(path.dropFirst()), to: value)
        return .object(object)
    }
}
