import APIServerSemantics
import Foundation
import KubeCore
import KubeModels

/// Options shared by writes.
struct WriteContext: Sendable {
    var dryRun = false
    /// Seeding (`KubeTestServer.apply(json:)`) keeps `status` on create and update.
    var keepStatus = false
    /// The manager recorded in `metadata.managedFields` for an ordinary write (`nil`: not recorded).
    var fieldManager: String?
    /// Server-side apply: the body's `managedFields` were computed by `ServerSideApply` and are kept.
    var managedFieldsFromBody = false
    /// `fieldValidation`: `Strict` refuses unknown fields, `Warn` (the default) warns, `Ignore` is silent.
    var fieldValidation = "Warn"
    /// Webhook admission to replay on this write (`APIServer.admitted`).
    var admission: AdmissionReplay?
}

extension ObjectStore {
    // MARK: - Create

    /// Creates `body` (already checked for kind and apiVersion) in `namespace`.
    func create(_ resource: ServedResource, namespace: String?, body: JSONValue, context: WriteContext = WriteContext()) async throws(APIError) -> JSONValue {
        var object = body
        var metadata = object.metadataObject
        var name = metadata["name"]?.stringValue ?? ""
        if name.isEmpty, let admitted = context.admission?.name, !admitted.isEmpty {
            name = admitted
            metadata["name"] = .string(name)
        }
        if name.isEmpty, let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty {
            name = ObjectDefaults.generatedName(prefix)
            metadata["name"] = .string(name)
        }
        if resource.namespaced {
            let namespace = namespace ?? ""
            if let given = metadata["namespace"]?.stringValue, !given.isEmpty, given != namespace {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            metadata["namespace"] = .string(namespace)
        } else {
            metadata.removeValue(forKey: "namespace")
        }
        metadata.removeValue(forKey: "resourceVersion")
        object["metadata"] = .object(metadata)
        // Defaults first, as kube-apiserver's decoder applies them before validation.
        object = Defaulting.typeDefaults(object, resource: resource)
        // A create through the main resource sets no status (kube's strategies reset it).
        if resource.hasStatus && !context.keepStatus { object["status"] = nil }
        object = try admitCustomObject(object, old: nil, resource: resource, name: name, context: context)
        try Validation.validate(object, resource: resource, name: name, isCreate: true, allowsPrivileged: allowsPrivileged)
        let namespaceName = resource.namespaced ? (namespace ?? "") : nil
        if let namespaceName, !namespaceExists(namespaceName) {
            throw APIError.notFound(GroupResource(group: "", resource: "namespaces"), namespaceName)
        }
        if let namespaceName, isTerminating(namespace: namespaceName) {
            // NamespaceLifecycle admission names the object as the request did (before generateName).
            throw APIError.namespaceTerminating(resource.groupResource, name: body["metadata"]?["name"]?.stringValue ?? "", namespace: namespaceName)
        }
        let key = Self.key(namespace: namespaceName, name: name)
        if objects[resource.storageResource]?[key] != nil { throw APIError.alreadyExists(resource.groupResource, name) }
        object = ObjectDefaults.newObjectMetadata(object, generation: Self.tracksGeneration(resource) ? 1 : nil)
        if let admission = context.admission {
            // The identity the validating webhooks saw in the preview.
            if let uid = admission.uid { object["metadata"]?["uid"] = .string(uid) }
            if let time = admission.creationTimestamp { object["metadata"]?["creationTimestamp"] = .string(time) }
        }
        // A create through the main resource sets no status (kube's strategies reset it).
        if resource.hasStatus && !context.keepStatus { object["status"] = nil }
        if resource.groupResource == CustomResources.crdResource {
            object = try CustomResources.prepare(object, existing: objects[resource.storageResource] ?? [:], registry: registry)
        }
        // The writer owns what it sent and the type defaults; PrepareForCreate, allocations
        // and admission come after managedFields are recorded, as in kube-apiserver.
        // The status a new CRD starts with is PrepareForCreate's too.
        let preparedStatus = resource.hasStatus && !context.keepStatus ? object["status"] : nil
        if preparedStatus != nil { object["status"] = nil }
        object = Self.managedFields(old: nil, new: object, body: body, subresource: nil, context: context)
        if let preparedStatus { object["status"] = preparedStatus }
        object = Defaulting.prepareForCreate(object, resource: resource)
        if resource.groupResource == GroupResource(group: "", resource: "pods") {
            object = try admitPod(object, namespace: namespaceName ?? "")
        }
        object = try applyAdmissionPatches(object, resource: resource, name: name, old: nil, context: context)
        try admitPodSecurity(object, resource: resource, namespace: namespaceName, name: name)
        if context.dryRun {
            var preview = object
            preview["metadata"]?["resourceVersion"] = nil
            return preview
        }
        let stored = try await storageForm(object, resource)
        // A conversion webhook call suspends the store: check again what was checked before it.
        if objects[resource.storageResource]?[key] != nil { throw APIError.alreadyExists(resource.groupResource, name) }
        return commit(.added, resource.storageResource, key: key, object: stored, previous: nil)
    }

    /// The kinds whose strategies set `metadata.generation` (1 on create, bumped by spec
    /// changes), as recorded from v1.36; custom resources always do.
    static func tracksGeneration(_ resource: ServedResource) -> Bool {
        if !resource.group.contains(".") || builtinGroups.contains(resource.group) {
            return generationResources.contains(resource.groupResource)
        }
        return true
    }

    static let generationResources: Set<GroupResource> = [
        GroupResource(group: "", resource: "pods"), GroupResource(group: "", resource: "replicationcontrollers"),
        GroupResource(group: "apps", resource: "deployments"), GroupResource(group: "apps", resource: "replicasets"),
        GroupResource(group: "apps", resource: "statefulsets"), GroupResource(group: "apps", resource: "daemonsets"),
        GroupResource(group: "batch", resource: "jobs"), GroupResource(group: "batch", resource: "cronjobs"),
        GroupResource(group: "networking.k8s.io", resource: "ingresses"), GroupResource(group: "networking.k8s.io", resource: "ingressclasses"),
        GroupResource(group: "networking.k8s.io", resource: "networkpolicies"), GroupResource(group: "policy", resource: "poddisruptionbudgets"),
        GroupResource(group: "scheduling.k8s.io", resource: "priorityclasses"), GroupResource(group: "discovery.k8s.io", resource: "endpointslices"),
        GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions"),
        GroupResource(group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations"),
        GroupResource(group: "admissionregistration.k8s.io", resource: "mutatingwebhookconfigurations"),
        GroupResource(group: "admissionregistration.k8s.io", resource: "validatingadmissionpolicies"),
        GroupResource(group: "admissionregistration.k8s.io", resource: "validatingadmissionpolicybindings"),
        GroupResource(group: "flowcontrol.apiserver.k8s.io", resource: "flowschemas"),
        GroupResource(group: "flowcontrol.apiserver.k8s.io", resource: "prioritylevelconfigurations"),
    ]

    static let builtinGroups: Set<String> = [
        "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io",
        "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "apiextensions.k8s.io", "authentication.k8s.io",
        "authorization.k8s.io", "certificates.k8s.io", "scheduling.k8s.io", "node.k8s.io", "admissionregistration.k8s.io",
        "flowcontrol.apiserver.k8s.io", "resource.k8s.io", "apiregistration.k8s.io", "storagemigration.k8s.io",
    ]

    // MARK: - Update

    /// Replaces an object (PUT). `subresource == "status"` writes only `status`; the
    /// main resource keeps the stored `status` when the resource has a status subresource.
    func update(
        _ resource: ServedResource, namespace: String?, name: String, body: JSONValue, subresource: String? = nil,
        context: WriteContext = WriteContext()
    ) async throws(APIError) -> JSONValue {
        let namespaceName = resource.namespaced ? namespace : nil
        let key = Self.key(namespace: namespaceName, name: name)
        guard let stored = objects[resource.storageResource]?[key] else { throw APIError.notFound(resource.groupResource, name) }
        try checkAdmissionPin(stored, resource: resource, name: name, context: context)
        // The update works on the request's form; the stored form is written at the end.
        let old = try await servedForm(stored, resource)
        let bodyMetadata = body.metadataObject
        if let bodyName = bodyMetadata["name"]?.stringValue, bodyName != name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        if resource.namespaced, let given = bodyMetadata["namespace"]?.stringValue, !given.isEmpty, given != namespace {
            throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        if let rv = bodyMetadata["resourceVersion"]?.stringValue, !rv.isEmpty,
            rv != old["metadata"]?["resourceVersion"]?.stringValue
        {
            throw APIError.conflict(resource.groupResource, name, APIError.modifiedMessage)
        }
        if let uid = bodyMetadata["uid"]?.stringValue, !uid.isEmpty, let oldUID = old["metadata"]?["uid"]?.stringValue, uid != oldUID {
            throw APIError.conflict(resource.groupResource, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(oldUID)")
        }
        var updated: JSONValue
        let oldMetadata = old.metadataObject
        if subresource == "status" {
            updated = old
            updated["status"] = body["status"]
            var metadata = oldMetadata
            metadata["labels"] = bodyMetadata["labels"]
            metadata["annotations"] = bodyMetadata["annotations"]
            updated["metadata"] = .object(metadata.compactMapValues { $0 })
            updated = Defaulting.typeDefaults(updated, resource: resource)
            // A status of the wrong Go type is refused here too, so it never reaches the store.
            if let mismatch = BuiltinProtobufSchema.schema.goTypeMismatch(in: updated, apiVersion: resource.apiVersion, kind: resource.kind) {
                throw APIError.badRequest("\(resource.kind) in version \"\(resource.version)\" cannot be handled as a \(resource.kind): \(mismatch.unmarshalMessage)")
            }
            updated = try admitCustomObject(updated, old: old, resource: resource, name: name, context: context, statusOnly: true)
        } else {
            updated = body
            var metadata = bodyMetadata
            for field in ["uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "namespace", "name"] {
                metadata[field] = oldMetadata[field]
            }
            metadata = metadata.compactMapValues { $0 }
            updated["metadata"] = .object(metadata)
            if resource.hasStatus && !context.keepStatus { updated["status"] = old["status"] }
            if updated["status"] == .null { updated["status"] = nil }
            updated = Defaulting.typeDefaults(updated, resource: resource)
            updated = try admitCustomObject(updated, old: old, resource: resource, name: name, context: context)
            try Validation.validate(updated, resource: resource, name: name, isCreate: false, allowsPrivileged: allowsPrivileged)
            try Validation.validateUpdate(old: old, new: updated, resource: resource, name: name, subresource: subresource)
            if subresource == nil, resource.groupResource != GroupResource(group: "", resource: "pods") {
                try admitPodSecurity(updated, resource: resource, namespace: namespaceName, name: name)
            }
            if resource.groupResource == Self.namespacesResource { podSecurityNamespaceWarnings(old: old, new: updated) }
            if Self.specChanged(old, updated, countsStatus: countsStatusInGeneration(resource)),
                let generation = oldMetadata["generation"]?.intValue
            {
                updated["metadata"]?["generation"] = .int(generation + 1)
            }
        }
        if let apiVersion = old["apiVersion"], updated["apiVersion"] == nil { updated["apiVersion"] = apiVersion }
        if let kind = old["kind"], updated["kind"] == nil { updated["kind"] = kind }
        // A no-op update neither bumps the resourceVersion nor emits an event.
        var comparable = updated
        comparable["metadata"]?["resourceVersion"] = oldMetadata["resourceVersion"]
        if !context.managedFieldsFromBody
            || Self.withoutTimes(updated["metadata"]?["managedFields"]) == Self.withoutTimes(oldMetadata["managedFields"])
        {
            // Ordinary writes record their manager below; an apply that only moves timestamps is a no-op.
            comparable["metadata"]?["managedFields"] = oldMetadata["managedFields"]
        }
        let unchanged = comparable == old
        if unchanged && (context.admission?.patches ?? []).isEmpty { return old }
        updated = unchanged ? old : Self.managedFields(old: old, new: updated, body: body, subresource: subresource, context: context)
        if let patches = context.admission?.patches, !patches.isEmpty {
            updated = try applyAdmissionPatches(
                updated, resource: resource, name: name, old: old, subresource: subresource, context: context)
            var comparable = updated
            comparable["metadata"]?["resourceVersion"] = oldMetadata["resourceVersion"]
            if comparable == old { return old }
        }
        if context.dryRun { return updated }
        if resource.groupResource == CustomResources.crdResource {
            updated = try CustomResources.prepare(updated, existing: [:], registry: registry)
        }
        updated = try await storageForm(updated, resource)
        // A conversion webhook call suspends the store: another write in between is a conflict.
        if objects[resource.storageResource]?[key]?["metadata"]?["resourceVersion"] != stored["metadata"]?["resourceVersion"] {
            throw APIError.conflict(resource.groupResource, name, APIError.modifiedMessage)
        }
        // The last finalizer removed from an object being deleted with no grace period left
        // (kube's `shouldDeleteDuringUpdate`): it goes now.
        if updated["metadata"]?["deletionTimestamp"] != nil, (updated["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty,
            (oldMetadata["deletionGracePeriodSeconds"]?.intValue ?? 0) == 0
        {
            // The answer keeps the last stored resourceVersion, as kube's does.
            var gone = commit(.deleted, resource.storageResource, key: key, object: updated, previous: stored)
            gone["metadata"]?["resourceVersion"] = stored["metadata"]?["resourceVersion"]
            return gone
        }
        return commit(.modified, resource.storageResource, key: key, object: updated, previous: stored)
    }

    /// `metadata.managedFields` of a write: kept from the body for server-side apply,
    /// else the writer's `Update` entry recorded (when the write names a manager).
    static func managedFields(old: JSONValue?, new: JSONValue, body: JSONValue, subresource: String?, context: WriteContext) -> JSONValue {
        if context.managedFieldsFromBody {
            var result = new
            result["metadata"]?["managedFields"] = body["metadata"]?["managedFields"]
            return result
        }
        guard let manager = context.fieldManager else { return new }
        let recorded = ServerSideApply.recordUpdate(
            old: old, new: new, fieldManager: manager, subresource: subresource, time: Date(), schema: BuiltinPatchSchema.schema)
        return subresource == "scale" ? Self.scaleEntriesWithoutTime(recorded) : recorded
    }

    /// kube's scale subresource converts managedFields to the Scale and back, which loses the
    /// `time` of the `scale` entries; encoding sorts entries without a time before the other
    /// `Update` entries (Apply entries first, as `sortEncodedManagedFields` does).
    static func scaleEntriesWithoutTime(_ object: JSONValue) -> JSONValue {
        guard var entries = object["metadata"]?["managedFields"]?.arrayValue else { return object }
        for index in entries.indices where entries[index]["subresource"]?.stringValue == "scale" {
            entries[index]["time"] = nil
        }
        let apply = entries.filter { $0["operation"]?.stringValue == "Apply" }
        let untimed = entries.filter { $0["operation"]?.stringValue != "Apply" && $0["time"] == nil }
        let rest = entries.filter { $0["operation"]?.stringValue != "Apply" && $0["time"] != nil }
        var result = object
        result["metadata"]?["managedFields"] = .array(apply + untimed + rest)
        return result
    }

    /// managedFields entries without their `time` (an apply changing only times is a no-op, as in kube).
    static func withoutTimes(_ managedFields: JSONValue?) -> JSONValue? {
        guard case .array(let entries)? = managedFields else { return managedFields }
        return .array(entries.map { entry in
            var entry = entry
            entry["time"] = nil
            return entry
        })
    }

    /// `true` when anything but `metadata` and `status` differs (what bumps `generation`);
    /// with `countsStatus`, a status change counts too.
    static func specChanged(_ old: JSONValue, _ new: JSONValue, countsStatus: Bool = false) -> Bool {
        var lhs = old.objectValue ?? [:]
        var rhs = new.objectValue ?? [:]
        for field in countsStatus ? ["metadata", "apiVersion", "kind"] : ["metadata", "status", "apiVersion", "kind"] {
            lhs.removeValue(forKey: field)
            rhs.removeValue(forKey: field)
        }
        return lhs != rhs
    }

    /// A custom resource without a status subresource bumps `generation` on a status change
    /// too: kube-apiserver's custom resource strategy compares everything but metadata, and
    /// only a status subresource keeps status writes apart.
    func countsStatusInGeneration(_ resource: ServedResource) -> Bool {
        !resource.hasStatus && registry.isCustom(resource)
    }

    /// Read-modify-write under the store's isolation (patch, apply): `transform` gets
    /// the current object (or `nil`) and returns the object to write.
    func readModifyWrite(
        _ resource: ServedResource, namespace: String?, name: String, subresource: String?, context: WriteContext,
        transform: @Sendable (JSONValue?) throws(APIError) -> JSONValue
    ) async throws(APIError) -> (object: JSONValue, created: Bool) {
        var current: JSONValue?
        if let stored = objects[resource.storageResource]?[Self.key(namespace: resource.namespaced ? namespace : nil, name: name)] {
            current = try await servedForm(stored, resource)
        }
        if let admission = context.admission, (admission.expectAbsent && current != nil) || (admission.expectedResourceVersion != nil && current == nil) {
            throw APIError.conflict(resource.groupResource, name, APIError.modifiedMessage)
        }
        let next = try transform(current)
        if current == nil {
            guard subresource == nil else { throw APIError.notFound(resource.groupResource, name) }
            return (try await create(resource, namespace: namespace, body: next, context: context), true)
        }
        var body = next
        body["metadata"]?["resourceVersion"] = current?["metadata"]?["resourceVersion"]
        if let rv = next["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty { body["metadata"]?["resourceVersion"] = .string(rv) }
        return (try await update(resource, namespace: namespace, name: name, body: body, subresource: subresource, context: context), false)
    }
}
