import APIServerSemantics
import Foundation
import KubeCore
import Synchronization

/// The object validation kube-apiserver does for every resource (names, labels,
/// annotations) plus the required fields of the most used kinds. 422 with causes.
enum Validation {
    static func validate(_ object: JSONValue, resource: ServedResource, name: String, isCreate: Bool) throws(APIError) {
        // Name (by the resource's rule: RFC 1123 subdomain, namespace label, service RFC 1035
        // label, RBAC path segment), generateName, namespace, string-valued labels/annotations.
        var checked = object
        checked["metadata"]?["name"] = .string(name)
        let rule = ObjectValidation.nameRule(resource: resource.plural, group: resource.group)
        var causes = ObjectValidation.validateMetadata(checked, nameRule: rule, namespaced: resource.namespaced).map(\.cause)
        if let labels = object["metadata"]?["labels"] {
            guard let members = labels.objectValue else {
                throw APIError.badRequest("metadata.labels: must be an object of strings")
            }
            for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                do { try LabelValidation.validateKey(key) } catch {
                    causes.append(FieldError.invalid("metadata.labels", key, error.message))
                }
                guard let text = value.stringValue else { continue }
                do { try LabelValidation.validateValue(text) } catch {
                    causes.append(FieldError.invalid("metadata.labels", text, error.message))
                }
            }
        }
        causes += kindSpecific(object, resource: resource)
        if !causes.isEmpty {
            throw APIError.invalid(kind: resource.kind, group: resource.group, name: name, causes: causes)
        }
    }

    private static func kindSpecific(_ object: JSONValue, resource: ServedResource) -> [StatusCause] {
        var causes: [StatusCause] = []
        switch (resource.group, resource.plural) {
        case ("", "pods"):
            let containers = object["spec"]?["containers"]?.arrayValue ?? []
            if containers.isEmpty { causes.append(FieldError.required("spec.containers", "")) }
            for (index, container) in containers.enumerated() {
                if (container["name"]?.stringValue ?? "").isEmpty { causes.append(FieldError.required("spec.containers[\(index)].name", "")) }
                if (container["image"]?.stringValue ?? "").isEmpty { causes.append(FieldError.required("spec.containers[\(index)].image", "")) }
            }
        case ("", "configmaps"):
            for (key, value) in object["data"]?.objectValue ?? [:] where value.stringValue == nil {
                causes.append(FieldError.invalid("data[\(key)]", "\(value)", "must be a string"))
            }
        case ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"):
            if object["spec"]?["selector"] == nil { causes.append(FieldError.required("spec.selector", "")) }
            if object["spec"]?["template"] == nil { causes.append(FieldError.required("spec.template", "")) }
        case ("coordination.k8s.io", "leases"):
            if let seconds = object["spec"]?["leaseDurationSeconds"]?.intValue, seconds <= 0 {
                causes.append(FieldError.invalid("spec.leaseDurationSeconds", String(seconds), "must be greater than 0"))
            }
        default:
            break
        }
        return causes
    }
}

/// What the API server fills in on create (a subset of each type's defaulting and
/// `PrepareForCreate`).
enum Defaulting {
    private static let nextClusterIP = Mutex<UInt32>(2)

    static func onCreate(_ object: JSONValue, resource: ServedResource, keepStatus: Bool) -> JSONValue {
        var object = object
        if resource.hasStatus && !keepStatus { object["status"] = nil }
        guard resource.group.isEmpty || resource.group == "apps" else { return object }
        switch resource.plural {
        case "namespaces":
            let name = object["metadata"]?["name"]?.stringValue ?? ""
            var labels = object["metadata"]?["labels"]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = .string(name)
            object["metadata"]?["labels"] = .object(labels)
            if object["spec"] == nil { object["spec"] = ["finalizers": ["kubernetes"]] }
            if object["status"] == nil { object["status"] = ["phase": "Active"] }
        case "pods":
            var spec = object["spec"]?.objectValue ?? [:]
            spec["restartPolicy"] = spec["restartPolicy"] ?? "Always"
            spec["dnsPolicy"] = spec["dnsPolicy"] ?? "ClusterFirst"
            spec["schedulerName"] = spec["schedulerName"] ?? "default-scheduler"
            spec["terminationGracePeriodSeconds"] = spec["terminationGracePeriodSeconds"] ?? 30
            spec["serviceAccountName"] = spec["serviceAccountName"] ?? "default"
            spec["serviceAccount"] = spec["serviceAccountName"]
            if let containers = spec["containers"]?.arrayValue {
                spec["containers"] = .array(containers.map { container in
                    var container = container
                    let image = container["image"]?.stringValue ?? ""
                    let latest = !image.contains(":") || image.hasSuffix(":latest")
                    if container["imagePullPolicy"] == nil { container["imagePullPolicy"] = latest ? "Always" : "IfNotPresent" }
                    if container["terminationMessagePath"] == nil { container["terminationMessagePath"] = "/dev/termination-log" }
                    if container["terminationMessagePolicy"] == nil { container["terminationMessagePolicy"] = "File" }
                    return container
                })
            }
            object["spec"] = .object(spec)
            if object["status"] == nil { object["status"] = ["phase": "Pending", "qosClass": "BestEffort"] }
        case "services":
            var spec = object["spec"]?.objectValue ?? [:]
            spec["type"] = spec["type"] ?? "ClusterIP"
            spec["sessionAffinity"] = spec["sessionAffinity"] ?? "None"
            if spec["type"]?.stringValue != "ExternalName" {
                if spec["clusterIP"] == nil || spec["clusterIP"]?.stringValue == "" {
                    let n = nextClusterIP.withLock { value -> UInt32 in
                        defer { value += 1 }
                        return value
                    }
                    spec["clusterIP"] = .string("10.96.\((n >> 8) & 0xff).\(n & 0xff)")
                }
                spec["clusterIPs"] = spec["clusterIPs"] ?? .array([spec["clusterIP"]!])
                spec["ipFamilies"] = spec["ipFamilies"] ?? ["IPv4"]
                spec["ipFamilyPolicy"] = spec["ipFamilyPolicy"] ?? "SingleStack"
                spec["internalTrafficPolicy"] = spec["internalTrafficPolicy"] ?? "Cluster"
            }
            if let ports = spec["ports"]?.arrayValue {
                spec["ports"] = .array(ports.map { port in
                    var port = port
                    if port["protocol"] == nil { port["protocol"] = "TCP" }
                    if port["targetPort"] == nil, let number = port["port"] { port["targetPort"] = number }
                    return port
                })
            }
            object["spec"] = .object(spec)
            if object["status"] == nil { object["status"] = ["loadBalancer": [:]] }
        case "deployments":
            var spec = object["spec"]?.objectValue ?? [:]
            spec["replicas"] = spec["replicas"] ?? 1
            spec["revisionHistoryLimit"] = spec["revisionHistoryLimit"] ?? 10
            spec["progressDeadlineSeconds"] = spec["progressDeadlineSeconds"] ?? 600
            spec["strategy"] = spec["strategy"] ?? ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": "25%"]]
            object["spec"] = .object(spec)
        case "secrets":
            if object["type"] == nil { object["type"] = "Opaque" }
        default:
            break
        }
        return object
    }
}
