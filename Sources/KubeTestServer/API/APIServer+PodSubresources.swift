import APIServerSemantics
import Foundation
import KubeCore

/// The pod subresources that are created rather than stored: `pods/{name}/eviction`
/// (kube-apiserver's `EvictionREST`) and `pods/{name}/binding` (`BindingREST`), plus the
/// legacy `bindings` collection that binds the pod its body names.
extension APIServer {
    static let podsResource = GroupResource(group: "", resource: "pods")
    static let pdbResource = GroupResource(group: "policy", resource: "poddisruptionbudgets")

    /// The `Success` Status both answer with: the create handler fills in code 201.
    static var createdStatus: ServerResponse { .json(201, JSONWriter.encode(Status(status: "Success", code: 201))) }

    /// `POST .../pods/{name}/eviction`: deletes the pod unless a PodDisruptionBudget forbids it.
    ///
    /// As `EvictionREST.Create`: the Eviction must name the pod of the URL; a pod that is
    /// Pending, Succeeded, Failed or already terminating is deleted without looking at
    /// budgets; otherwise the one budget selecting the pod must have been observed by the
    /// disruption controller (`status.observedGeneration`) and allow a disruption
    /// (`status.disruptionsAllowed`), which the eviction then spends. Refusals are 429.
    func evictPod(_ request: ServerRequest, namespace: String, name: String) async throws(APIError) -> ServerResponse {
        guard let pods = registry.resource(group: "", version: "v1", plural: "pods") else { throw APIError.pathNotFound }
        let eviction = try parseBody(request)
        if let kind = eviction["kind"]?.stringValue, !kind.isEmpty, kind != "Eviction" {
            throw APIError.badRequest("not a Eviction object: \(kind)")
        }
        if let apiVersion = eviction["apiVersion"]?.stringValue, !apiVersion.isEmpty, !["policy/v1", "policy/v1beta1"].contains(apiVersion) {
            throw APIError.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (policy/v1)")
        }
        guard eviction["metadata"]?["name"]?.stringValue == name else {
            throw APIError.badRequest("name in URL does not match name in Eviction object")
        }
        let deleteOptions = DeleteRequestOptions(deleteOptionsBody: eviction["deleteOptions"] ?? .null)
        let context = try writeContext(request, deleteOptions: deleteOptions)

        let pod = try await store.get(pods, namespace: namespace, name: name)
        if !Self.canIgnoreDisruptionBudget(pod), let budgets = registry.resource(group: "policy", version: "v1", plural: "poddisruptionbudgets") {
            let labels = (pod["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            let matching = await store.all(Self.pdbResource).filter { budget in
                guard budget["metadata"]?["namespace"]?.stringValue == namespace, let selector = budget["spec"]?["selector"],
                    selector != .null, let parsed = RBACAuthorizer.labelSelector(selector)
                else { return false }
                return parsed.matches(labels)
            }
            if matching.count > 1 {
                throw APIError.internalError("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
            }
            if let budget = matching.first {
                try await spendDisruption(budget, resource: budgets, namespace: namespace, pod: name, context: context)
            }
        }
        _ = try await store.delete(
            pods, namespace: namespace, name: name, preconditions: deleteOptions.preconditions, options: deleteOptions.deletion, context: context)
        return Self.createdStatus
    }

    /// `canIgnorePDB`: pods that are not running (or already going) cost no disruption.
    static func canIgnoreDisruptionBudget(_ pod: JSONValue) -> Bool {
        if pod["metadata"]?["deletionTimestamp"] != nil { return true }
        let phase = pod["status"]?["phase"]?.stringValue ?? "Pending"
        return ["Pending", "Succeeded", "Failed", ""].contains(phase)
    }

    /// Checks the budget allows one more disruption and records it in the budget's status.
    private func spendDisruption(
        _ budget: JSONValue, resource: ServedResource, namespace: String, pod: String, context: WriteContext
    ) async throws(APIError) {
        let budgetName = budget["metadata"]?["name"]?.stringValue ?? ""
        let status = budget["status"] ?? .null
        let observed = status["observedGeneration"]?.intValue ?? 0
        if observed < (budget["metadata"]?["generation"]?.intValue ?? 0) {
            throw Self.disruptionRefused("The disruption budget \(budgetName) is still being processed by the server.", retryAfterSeconds: 10)
        }
        let allowed = status["disruptionsAllowed"]?.intValue ?? 0
        guard allowed > 0 else {
            let desired = status["desiredHealthy"]?.intValue ?? 0
            let current = status["currentHealthy"]?.intValue ?? 0
            throw Self.disruptionRefused(
                "The disruption budget \(budgetName) needs \(desired) healthy pods and has \(current) currently", retryAfterSeconds: nil)
        }
        if context.dryRun { return }
        var updated = budget
        updated["status"]?["disruptionsAllowed"] = .int(allowed - 1)
        var disrupted = status["disruptedPods"]?.objectValue ?? [:]
        disrupted[pod] = .string(Time.now().description)
        updated["status"]?["disruptedPods"] = .object(disrupted)
        _ = try await store.update(resource, namespace: namespace, name: budgetName, body: updated, subresource: "status")
    }

    /// `createTooManyRequestsError`: 429 with the budget's reason as a `DisruptionBudget` cause.
    static func disruptionRefused(_ cause: String, retryAfterSeconds: Int?) -> APIError {
        APIError(
            code: 429, reason: StatusReason.tooManyRequests, message: "Cannot evict pod as it would violate the pod's disruption budget.",
            details: StatusDetails(causes: [StatusCause(reason: "DisruptionBudget", message: cause)], retryAfterSeconds: retryAfterSeconds),
            retryAfterSeconds: retryAfterSeconds)
    }

    /// `POST .../pods/{name}/binding`, or `POST .../bindings` (`name` `nil`: the body names
    /// the pod): sets `spec.nodeName` and the `PodScheduled` condition, and copies the
    /// Binding's annotations onto the pod, as a scheduler's bind does.
    func bindPod(_ request: ServerRequest, namespace: String, name: String?) async throws(APIError) -> ServerResponse {
        guard let pods = registry.resource(group: "", version: "v1", plural: "pods") else { throw APIError.pathNotFound }
        let binding = try parseBody(request)
        if let kind = binding["kind"]?.stringValue, !kind.isEmpty, kind != "Binding" {
            throw APIError.badRequest("not a Binding object: \(kind)")
        }
        let bodyName = binding["metadata"]?["name"]?.stringValue ?? ""
        let podName = name ?? bodyName
        if name != nil, bodyName != podName { throw APIError.badRequest("name in URL does not match name in Binding object") }
        // ValidatePodBinding's errors are a plain aggregate there, hence an untyped 500.
        var problems: [String] = []
        let targetKind = binding["target"]?["kind"]?.stringValue ?? ""
        if !targetKind.isEmpty, targetKind != "Node" {
            problems.append("target.kind: Unsupported value: \"\(targetKind)\": supported values: \"Node\", \"<empty>\"")
        }
        let node = binding["target"]?["name"]?.stringValue ?? ""
        if node.isEmpty { problems.append("target.name: Required value") }
        if !problems.isEmpty {
            throw APIError(code: 500, reason: "", message: problems.count == 1 ? problems[0] : "[\(problems.joined(separator: ", "))]")
        }
        let uid = binding["metadata"]?["uid"]?.stringValue
        let annotations = binding["metadata"]?["annotations"]?.objectValue ?? [:]
        let bindingResource = GroupResource(group: "", resource: "pods/binding")
        var context = try writeContext(request)
        context.keepStatus = true
        context.fieldManager = nil  // BindingREST writes storage directly: no managedFields entry
        _ = try await store.readModifyWrite(pods, namespace: namespace, name: podName, subresource: "binding", context: context) {
            (current: JSONValue?) throws(APIError) -> JSONValue in
            guard var pod = current else { throw APIError.notFound(Self.podsResource, podName) }
            if let uid, !uid.isEmpty, let actual = pod["metadata"]?["uid"]?.stringValue, uid != actual {
                throw APIError.conflict(bindingResource, podName, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(actual)")
            }
            if pod["metadata"]?["deletionTimestamp"] != nil {
                throw APIError.conflict(bindingResource, podName, "pod \(podName) is being deleted, cannot be assigned to a host")
            }
            if let assigned = pod["spec"]?["nodeName"]?.stringValue, !assigned.isEmpty {
                throw APIError.conflict(bindingResource, podName, "pod \(podName) is already assigned to node \"\(assigned)\"")
            }
            pod["spec"]?["nodeName"] = .string(node)
            if !annotations.isEmpty {
                var merged = pod["metadata"]?["annotations"]?.objectValue ?? [:]
                merged.merge(annotations) { $1 }
                pod["metadata"]?["annotations"] = .object(merged)
            }
            var conditions = pod["status"]?["conditions"]?.arrayValue ?? []
            let scheduled: JSONValue = ["type": "PodScheduled", "status": "True", "lastProbeTime": .null,
                                        "lastTransitionTime": .string(Time.now().description)]
            if let index = conditions.firstIndex(where: { $0["type"]?.stringValue == "PodScheduled" }) {
                conditions[index] = scheduled
            } else {
                conditions.append(scheduled)
            }
            if pod["status"] == nil { pod["status"] = [:] }
            pod["status"]?["conditions"] = .array(conditions)
            return pod
        }
        return Self.createdStatus
    }
}
