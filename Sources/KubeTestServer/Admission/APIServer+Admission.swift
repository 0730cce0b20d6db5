import APIServerSemantics
import Foundation
import KubeCore
import Logging

/// What the store replays of webhook admission on the real write: the mutating webhooks'
/// JSON Patches in order, the object version they were computed against (a write in between
/// is a conflict, and admission runs again), and the identity the validating webhooks saw.
struct AdmissionReplay: Sendable {
    var patches: [JSONValue] = []
    /// The old object's `resourceVersion` (update, patch); `nil` with `expectAbsent` for a create.
    var expectedResourceVersion: String?
    var expectAbsent = false
    var name: String?
    var uid: String?
    var creationTimestamp: String?
}

/// A write after admission, with the webhooks' warnings (sent as `Warning` headers).
struct AdmittedWrite: Sendable {
    var object: JSONValue
    var warnings: [String]
}

/// Dynamic admission, as kube-apiserver's MutatingAdmissionWebhook and
/// ValidatingAdmissionWebhook plugins run it: the mutating webhooks in order (configurations
/// sorted by name), each seeing the previous ones' patches, with one reinvocation round for
/// `reinvocationPolicy: IfNeeded`; then the store's validation; then the validating webhooks
/// in parallel over the final object; then the write.
///
/// The write is previewed as a dry run to get the object webhooks see (defaults, built-in
/// admission plugins and managedFields applied), and the real write replays the patches
/// with the old object's resourceVersion pinned, so it stores exactly what was validated.
extension APIServer {
    static let webhookConfigurationResources = (
        mutating: GroupResource(group: "admissionregistration.k8s.io", resource: "mutatingwebhookconfigurations"),
        validating: GroupResource(group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations")
    )

    /// Admission configuration objects are never sent to webhooks (kube's `IsExemptAdmissionConfigurationResource`).
    static let admissionExemptKinds: Set<String> = [
        "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    ]

    func loadWebhooks() async -> (mutating: [AdmissionWebhook], validating: [AdmissionWebhook]) {
        func load(_ resource: GroupResource, _ kind: AdmissionWebhook.Kind) async -> [AdmissionWebhook] {
            await store.all(resource).flatMap { configuration in
                let name = configuration["metadata"]?["name"]?.stringValue ?? ""
                return (configuration["webhooks"]?.arrayValue ?? []).map { AdmissionWebhook(kind: kind, configurationName: name, json: $0) }
            }
        }
        return (await load(Self.webhookConfigurationResources.mutating, .mutating),
                await load(Self.webhookConfigurationResources.validating, .validating))
    }

    /// Runs a create, update or patch through admission. `operation` is `.update` for a patch;
    /// it becomes `.create` when the object does not exist (an apply that creates).
    /// `requestName`: the name in the request (empty for `generateName`).
    func admitted(
        _ operation: AdmissionAttributes.Operation, resource: ServedResource, subresource: String, namespace: String?,
        requestName: String, user: UserInfo, context: WriteContext, options: JSONValue,
        write: (WriteContext) async throws(APIError) -> JSONValue
    ) async throws(APIError) -> AdmittedWrite {
        if resource.group == "admissionregistration.k8s.io" && Self.admissionExemptKinds.contains(resource.kind) {
            return AdmittedWrite(object: try await write(context), warnings: [])
        }
        let hooks = await loadWebhooks()
        if hooks.mutating.isEmpty && hooks.validating.isEmpty {
            return AdmittedWrite(object: try await write(context), warnings: [])
        }
        var attempt = 0
        while true {
            attempt += 1
            var operation = operation
            var old: JSONValue?
            if operation != .create {
                if let stored = try? await store.get(resource, namespace: namespace, name: requestName) {
                    old = present(try await served(stored, resource: resource), resource: resource)
                } else {
                    operation = .create
                }
            }
            var preview = context
            preview.dryRun = true
            preview.admission = nil
            let first = present(try await served(try await write(preview), resource: resource), resource: resource)
            var replay = AdmissionReplay()
            if let old {
                replay.expectedResourceVersion = old["metadata"]?["resourceVersion"]?.stringValue
            } else {
                replay.expectAbsent = true
                replay.name = first["metadata"]?["name"]?.stringValue
                replay.uid = first["metadata"]?["uid"]?.stringValue
                replay.creationTimestamp = first["metadata"]?["creationTimestamp"]?.stringValue
            }
            let isNamespace = resource.groupResource == AdmissionMatching.namespacesResource
            let finalName = first["metadata"]?["name"]?.stringValue ?? requestName
            var attributes = AdmissionAttributes(
                operation: operation, resource: resource, subresource: subresource,
                namespace: isNamespace ? finalName : (namespace ?? ""), name: operation == .create ? requestName : finalName,
                object: operation == .create ? Self.beforeCreate(first) : first, oldObject: old, user: user,
                dryRun: context.dryRun, options: options)
            var warnings: [String] = []
            replay.patches = try await runMutating(hooks.mutating, attributes, warnings: &warnings)
            var final = first
            var finalRaw: JSONValue?
            if !replay.patches.isEmpty {
                preview.admission = replay
                let raw = try await write(preview)
                finalRaw = raw
                final = present(try await served(raw, resource: resource), resource: resource)
            }
            attributes.object = final
            attributes.name = finalName
            try await runValidating(hooks.validating, attributes, warnings: &warnings)
            if context.dryRun { return AdmittedWrite(object: finalRaw ?? first, warnings: warnings) }
            var real = context
            real.admission = replay
            do {
                return AdmittedWrite(object: try await write(real), warnings: warnings)
            } catch where error.code == 409 && attempt < 3 {
                // Someone wrote in between: admit again against the new object, as kube's patch retries.
                continue
            }
        }
    }

    /// A DELETE through admission: webhooks see the object as `oldObject` and may not patch.
    func admittedDelete(
        resource: ServedResource, subresource: String, namespace: String?, name: String, user: UserInfo, dryRun: Bool,
        options: JSONValue, delete: () async throws(APIError) -> ServerResponse
    ) async throws(APIError) -> ServerResponse {
        if resource.group == "admissionregistration.k8s.io" && Self.admissionExemptKinds.contains(resource.kind) { return try await delete() }
        let hooks = await loadWebhooks()
        if hooks.mutating.isEmpty && hooks.validating.isEmpty { return try await delete() }
        guard let stored = try? await store.get(resource, namespace: namespace, name: name) else { return try await delete() }
        let old = present(try await served(stored, resource: resource), resource: resource)
        let isNamespace = resource.groupResource == AdmissionMatching.namespacesResource
        let attributes = AdmissionAttributes(
            operation: .delete, resource: resource, subresource: subresource, namespace: isNamespace ? name : (namespace ?? ""),
            name: name, object: nil, oldObject: old, user: user, dryRun: dryRun, options: options)
        var warnings: [String] = []
        _ = try await runMutating(hooks.mutating, attributes, warnings: &warnings)
        try await runValidating(hooks.validating, attributes, warnings: &warnings)
        var response = try await delete()
        response.headers += Self.warningHeaders(warnings)
        return response
    }

    /// `Warning: 299 - "text"` headers, as kube-apiserver relays webhook warnings.
    static func warningHeaders(_ warnings: [String]) -> [(String, String)] {
        warnings.map { ("Warning", "299 - " + AdmissionReviewWire.quote($0)) }
    }

    /// A created object as mutating webhooks see it: uid, creation time, generation and
    /// resourceVersion are set after mutating admission in kube-apiserver.
    static func beforeCreate(_ object: JSONValue) -> JSONValue {
        var object = object
        for field in ["uid", "creationTimestamp", "generation", "resourceVersion"] { object["metadata"]?[field] = nil }
        return object
    }

    // MARK: - Mutating

    /// Calls the mutating webhooks; returns the patches that changed the object, in order.
    func runMutating(_ hooks: [AdmissionWebhook], _ attributes: AdmissionAttributes, warnings: inout [String]) async throws(APIError) -> [JSONValue] {
        guard !hooks.isEmpty else { return [] }
        var object = attributes.object
        var patches: [JSONValue] = []
        var previouslyInvoked: Set<String> = []
        var reinvoke: Set<String> = []
        for round in 0..<2 {
            if round == 1 && reinvoke.isEmpty { break }
            for hook in hooks {
                if round == 1 && !reinvoke.contains(hook.identity) { continue }
                var current = attributes
                current.object = object
                guard let invoked = try await invocation(hook, current) else { continue }
                var changed = false
                switch await call(hook, invoked: invoked, current) {
                case .failure(let reason):
                    if !hook.ignoresFailures { throw Self.callingError(hook, reason) }
                    logger.warning("failed calling webhook, failing open", metadata: ["webhook": "\(hook.name)", "error": "\(reason)"])
                case .rejected(let error):
                    throw error
                case .answered(let verdict):
                    warnings += verdict.warnings
                    guard verdict.allowed else { throw AdmissionReviewWire.denial(webhook: hook.name, status: verdict.status) }
                    if let patch = verdict.patch, !(patch.arrayValue ?? []).isEmpty {
                        guard let target = object else {
                            throw APIError.internalError("admission webhook \(AdmissionReviewWire.quote(hook.name)) attempted to modify the object, which is not supported for this operation")
                        }
                        let patched: JSONValue
                        do {
                            patched = try JSONPatch.apply(patch, to: target)
                        } catch {
                            throw APIError.internalError(error.message)
                        }
                        if patched != target {
                            changed = true
                            object = patched
                            patches.append(patch)
                        }
                    }
                }
                if changed && round == 0 {
                    reinvoke.formUnion(previouslyInvoked)
                    previouslyInvoked = []
                }
                if round == 0 && hook.reinvocationPolicy == "IfNeeded" { previouslyInvoked.insert(hook.identity) }
            }
        }
        return patches
    }

    // MARK: - Validating

    /// Calls the matching validating webhooks in parallel; the first failure in configuration
    /// order is the answer (kube takes the first to arrive).
    func runValidating(_ hooks: [AdmissionWebhook], _ attributes: AdmissionAttributes, warnings: inout [String]) async throws(APIError) {
        guard !hooks.isEmpty else { return }
        let results = await withTaskGroup(of: (Int, Result<[String], APIError>).self) { group in
            for (index, hook) in hooks.enumerated() {
                group.addTask {
                    do throws(APIError) {
                        guard let invoked = try await self.invocation(hook, attributes) else { return (index, .success([])) }
                        switch await self.call(hook, invoked: invoked, attributes) {
                        case .failure(let reason):
                            if !hook.ignoresFailures { return (index, .failure(Self.callingError(hook, reason))) }
                            self.logger.warning("failed calling webhook, failing open", metadata: ["webhook": "\(hook.name)", "error": "\(reason)"])
                            return (index, .success([]))
                        case .rejected(let error):
                            return (index, .failure(error))
                        case .answered(let verdict):
                            guard verdict.allowed else {
                                return (index, .failure(AdmissionReviewWire.denial(webhook: hook.name, status: verdict.status)))
                            }
                            return (index, .success(verdict.warnings))
                        }
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var all: [(Int, Result<[String], APIError>)] = []
            for await result in group { all.append(result) }
            return all.sorted { $0.0 < $1.0 }
        }
        for (_, result) in results {
            switch result {
            case .success(let more): warnings += more
            case .failure(let error): throw error
            }
        }
    }

    static func callingError(_ hook: AdmissionWebhook, _ reason: String) -> APIError {
        APIError.internalError("failed calling webhook \(AdmissionReviewWire.quote(hook.name)): \(reason)")
    }

    // MARK: - Matching and calling

    /// The resource the webhook is called for (the requested one, or under `matchPolicy:
    /// Equivalent` another served version of it), or `nil` when it does not apply.
    func invocation(_ hook: AdmissionWebhook, _ attributes: AdmissionAttributes) async throws(APIError) -> ServedResource? {
        let resource = attributes.resource
        let isNamespaceObject = resource.groupResource == AdmissionMatching.namespacesResource
        func covers(_ candidate: ServedResource) -> Bool {
            hook.rules.contains { rule in
                AdmissionMatching.matches(
                    rule, operation: attributes.operation.rawValue, group: candidate.group, version: candidate.version,
                    resource: candidate.plural, subresource: attributes.subresource, namespace: attributes.namespace,
                    isNamespaceObject: isNamespaceObject)
            }
        }
        var invoked: ServedResource?
        if covers(resource) {
            invoked = resource
        } else if hook.matchPolicy == "Equivalent" {
            for version in registry.groupVersions[resource.group] ?? [] where version != resource.version {
                if let other = registry.resource(group: resource.group, version: version, plural: resource.plural), other.kind == resource.kind,
                    attributes.subresource.isEmpty || other.subresources.contains(attributes.subresource), covers(other)
                {
                    invoked = other
                    break
                }
            }
        }
        guard let invoked else { return nil }
        // Selectors (checked once the rules match, as kube reports selector errors only then).
        guard let namespaceSelector = hook.namespaceSelector, let objectSelector = hook.objectSelector else {
            throw APIError.internalError("webhook \(AdmissionReviewWire.quote(hook.name)) has an invalid label selector")
        }
        if !namespaceSelector.requirements.isEmpty && (!attributes.namespace.isEmpty || isNamespaceObject) {
            let labels: [String: String]
            if isNamespaceObject {
                labels = (attributes.object ?? attributes.oldObject)?.labels ?? [:]
            } else {
                guard let namespaces = registry.resource(group: "", version: "v1", plural: "namespaces") else { return nil }
                labels = try await store.get(namespaces, namespace: nil, name: attributes.namespace).labels
            }
            if !namespaceSelector.matches(labels) { return nil }
        }
        if !AdmissionMatching.objectSelectorMatches(objectSelector, object: attributes.object, oldObject: attributes.oldObject) { return nil }
        return invoked
    }

    enum WebhookOutcome: Sendable {
        case answered(AdmissionReviewWire.Verdict)
        /// A failure to call (subject to `failurePolicy`).
        case failure(String)
        /// An error that is the answer whatever the policy (dry run unsupported).
        case rejected(APIError)
    }

    /// One review round trip.
    func call(_ hook: AdmissionWebhook, invoked: ServedResource, _ attributes: AdmissionAttributes) async -> WebhookOutcome {
        if attributes.dryRun {
            guard let sideEffects = hook.sideEffects else { return .failure("Webhook SideEffects is nil") }
            guard sideEffects == "None" || sideEffects == "NoneOnDryRun" else {
                return .rejected(APIError.badRequest("admission webhook \(AdmissionReviewWire.quote(hook.name)) does not support dry run"))
            }
        }
        let started = ContinuousClock.now
        do throws(AdmissionReviewWire.CallFailure) {
            let version = try AdmissionReviewWire.version(for: hook)
            let uid = UUID().uuidString.lowercased()
            func relabel(_ object: JSONValue?) -> JSONValue? {
                guard var object, invoked != attributes.resource else { return object }
                object["apiVersion"] = .string(invoked.apiVersion)
                return object
            }
            let body = JSONWriter.data(AdmissionReviewWire.request(
                uid: uid, version: version, attributes: attributes, invoked: invoked,
                object: relabel(attributes.object), oldObject: relabel(attributes.oldObject)))
            var serviceExists = false
            if let service = hook.service {
                serviceExists = await store.exists(GroupResource(group: "", resource: "services"), namespace: service.namespace, name: service.name)
            }
            let destination = try WebhookClients.destination(
                hook, timeoutSeconds: hook.timeoutSeconds, serviceAddresses: configuration.webhookServiceAddresses, serviceExists: serviceExists)
            let data = try await webhookClients.post(body, to: destination, caBundle: hook.caBundle, timeout: .seconds(hook.timeoutSeconds))
            let review: JSONValue
            do {
                review = try JSONWriter.parse(data)
            } catch {
                throw AdmissionReviewWire.CallFailure(reason: "failed to call webhook: \(error.status.message ?? "invalid JSON")")
            }
            let verdict = try AdmissionReviewWire.verify(review, uid: uid, version: version, mutating: hook.kind == .mutating)
            logger.debug("webhook called", metadata: [
                "webhook": "\(hook.name)", "operation": "\(attributes.operation.rawValue)", "allowed": "\(verdict.allowed)",
                "latency": "\(ContinuousClock.now - started)",
            ])
            return .answered(verdict)
        } catch {
            return .failure(error.reason)
        }
    }
}

extension APIServer {
    /// The `options` of an admission request (`CreateOptions`, `UpdateOptions`, `PatchOptions`, `DeleteOptions`).
    static func admissionOptions(_ kind: String, _ context: WriteContext) -> JSONValue {
        var options: [String: JSONValue] = ["kind": .string(kind), "apiVersion": "meta.k8s.io/v1"]
        if context.dryRun { options["dryRun"] = ["All"] }
        if kind != "DeleteOptions", let manager = context.fieldManager { options["fieldManager"] = .string(manager) }
        return .object(options)
    }
}

extension ServerResponse {
    /// The response with more headers (webhook warnings).
    func adding(_ headers: [(String, String)]) -> ServerResponse {
        var response = self
        response.headers += headers
        return response
    }
}
