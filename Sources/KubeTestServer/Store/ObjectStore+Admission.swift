import Foundation
import KubeCore

/// The mutating admission plugins kube-apiserver runs on a Pod create (they need other
/// objects, so they live in the store): ServiceAccount (default account, the projected
/// `kube-api-access-<random>` token volume), DefaultTolerationSeconds and Priority. Their
/// changes are not part of the writer's managedFields, as in kube.
extension ObjectStore {
    static let serviceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

    func admitPod(_ pod: JSONValue, namespace: String) throws(APIError) -> JSONValue {
        var pod = pod
        var spec = pod["spec"] ?? [:]
        let name = pod["metadata"]?["name"]?.stringValue ?? ""
        // ServiceAccount
        let accountName = spec["serviceAccountName"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        spec["serviceAccountName"] = .string(accountName)
        spec["serviceAccount"] = .string(accountName)
        let account = objects[GroupResource(group: "", resource: "serviceaccounts")]?[Self.key(namespace: namespace, name: accountName)]
        let automount = spec["automountServiceAccountToken"]?.boolValue ?? account?["automountServiceAccountToken"]?.boolValue ?? true
        if automount && !Self.mountsServiceAccountPath(spec) {
            let volumeName = ObjectDefaults.generatedName("kube-api-access-")
            var volumes = spec["volumes"]?.arrayValue ?? []
            volumes.append([
                "name": .string(volumeName),
                "projected": [
                    "sources": [
                        ["serviceAccountToken": ["expirationSeconds": 3607, "path": "token"]],
                        ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                        ["downwardAPI": ["items": [["path": "namespace", "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"]]]]],
                    ],
                    "defaultMode": 420,
                ],
            ])
            spec["volumes"] = .array(volumes)
            let mount: JSONValue = ["name": .string(volumeName), "readOnly": true, "mountPath": .string(Self.serviceAccountMountPath)]
            for key in ["initContainers", "containers"] {
                Defaulting.mapArray(&spec, key) { container in
                    var mounts = container["volumeMounts"]?.arrayValue ?? []
                    mounts.append(mount)
                    container["volumeMounts"] = .array(mounts)
                }
            }
        }
        // DefaultTolerationSeconds
        var tolerations = spec["tolerations"]?.arrayValue ?? []
        for taint in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] where !Self.tolerates(tolerations, taint: taint) {
            tolerations.append(["key": .string(taint), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300])
        }
        spec["tolerations"] = .array(tolerations)
        // Priority
        let classes = GroupResource(group: "scheduling.k8s.io", resource: "priorityclasses")
        var priorityClass: JSONValue?
        if let className = spec["priorityClassName"]?.stringValue, !className.isEmpty {
            guard let found = objects[classes]?[className] else {
                throw APIError.forbidden(GroupResource(group: "", resource: "pods"), name: name,
                                         reason: "no PriorityClass with name \(className) was found")
            }
            priorityClass = found
        } else {
            let all = objects[classes] ?? [:]
            priorityClass = all.keys.sorted().compactMap { all[$0] }.first { $0["globalDefault"]?.boolValue == true }
            if let priorityClass, let className = priorityClass["metadata"]?["name"] { spec["priorityClassName"] = className }
        }
        spec["priority"] = priorityClass?["value"] ?? 0
        spec["preemptionPolicy"] = spec["preemptionPolicy"] ?? priorityClass?["preemptionPolicy"] ?? "PreemptLowerPriority"
        pod["spec"] = spec
        if pod["status"] == nil { pod["status"] = ["phase": "Pending", "qosClass": .string(Defaulting.qosClass(spec))] }
        return pod
    }

    private static func mountsServiceAccountPath(_ spec: JSONValue) -> Bool {
        let containers = (spec["containers"]?.arrayValue ?? []) + (spec["initContainers"]?.arrayValue ?? [])
        return containers.contains { container in
            (container["volumeMounts"]?.arrayValue ?? []).contains { $0["mountPath"]?.stringValue == serviceAccountMountPath }
        }
    }

    /// Whether a toleration already covers the NoExecute taint `taint` (kube's `ToleratesTaint`).
    private static func tolerates(_ tolerations: [JSONValue], taint: String) -> Bool {
        tolerations.contains { toleration in
            let effect = toleration["effect"]?.stringValue ?? ""
            guard effect.isEmpty || effect == "NoExecute" else { return false }
            let key = toleration["key"]?.stringValue ?? ""
            let op = toleration["operator"]?.stringValue ?? "Equal"
            if key.isEmpty { return op == "Exists" }
            return key == taint && (op == "Exists" || (toleration["value"]?.stringValue ?? "").isEmpty)
        }
    }
}
