import Foundation
import KubeCore

/// kubectl-like tables for the common kinds, NAME/AGE for everything else.
struct ResourceTable: Sendable {
    let resource: APIResourceInfo
    let wide: Bool
    let showNamespace: Bool
    var now = Date()

    /// The header row.
    var header: [String] {
        (showNamespace ? ["NAMESPACE"] : []) + columns.map(\.title) + (wide ? wideColumns.map(\.title) : [])
    }

    /// One row for an object.
    func row(_ object: DynamicObject) -> [String] {
        (showNamespace ? [object.metadata.namespace ?? ""] : []) + columns.map { $0.value(object) } + (wide ? wideColumns.map { $0.value(object) } : [])
    }

    struct Column: Sendable {
        let title: String
        let value: @Sendable (DynamicObject) -> String
        init(_ title: String, _ value: @escaping @Sendable (DynamicObject) -> String) {
            self.title = title
            self.value = value
        }
    }

    private var kind: String { resource.group.isEmpty || resource.group == "apps" || resource.group == "coordination.k8s.io" ? resource.kind : "" }

    var columns: [Column] {
        let name = Column("NAME") { $0.metadata.name ?? "" }
        let now = self.now
        let age = Column("AGE") { object in object.metadata.creationTimestamp.map { formatAge(now.timeIntervalSince($0.date)) } ?? "<unknown>" }
        switch kind {
        case "Pod":
            return [name,
                    Column("READY") { object in
                        let statuses = object["status"]?["containerStatuses"]?.arrayValue ?? []
                        let total = object["spec"]?["containers"]?.arrayValue?.count ?? statuses.count
                        return "\(statuses.filter { $0["ready"]?.boolValue == true }.count)/\(total)"
                    },
                    Column("STATUS") { object in
                        if object.metadata.deletionTimestamp != nil { return "Terminating" }
                        for status in object["status"]?["containerStatuses"]?.arrayValue ?? [] {
                            if let reason = status["state"]?["waiting"]?["reason"]?.stringValue { return reason }
                            if let reason = status["state"]?["terminated"]?["reason"]?.stringValue { return reason }
                        }
                        return object["status"]?["reason"]?.stringValue ?? object["status"]?["phase"]?.stringValue ?? "Unknown"
                    },
                    Column("RESTARTS") { object in
                        String((object["status"]?["containerStatuses"]?.arrayValue ?? []).reduce(Int64(0)) { $0 + ($1["restartCount"]?.intValue ?? 0) })
                    },
                    age]
        case "Service":
            return [name,
                    Column("TYPE") { $0["spec"]?["type"]?.stringValue ?? "ClusterIP" },
                    Column("CLUSTER-IP") { $0["spec"]?["clusterIP"]?.stringValue ?? "<none>" },
                    Column("EXTERNAL-IP") { object in
                        let ingress = (object["status"]?["loadBalancer"]?["ingress"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue ?? $0["hostname"]?.stringValue }
                        let external = object["spec"]?["externalIPs"]?.arrayValue?.compactMap(\.stringValue) ?? []
                        let all = ingress + external
                        if !all.isEmpty { return all.joined(separator: ",") }
                        return object["spec"]?["type"]?.stringValue == "LoadBalancer" ? "<pending>" : "<none>"
                    },
                    Column("PORT(S)") { object in
                        let ports = (object["spec"]?["ports"]?.arrayValue ?? []).map { port -> String in
                            let number = port["port"]?.intValue.map(String.init) ?? "?"
                            let node = port["nodePort"]?.intValue.map { ":\($0)" } ?? ""
                            return "\(number)\(node)/\(port["protocol"]?.stringValue ?? "TCP")"
                        }
                        return ports.isEmpty ? "<none>" : ports.joined(separator: ",")
                    },
                    age]
        case "Deployment":
            return [name,
                    Column("READY") { "\($0["status"]?["readyReplicas"]?.intValue ?? 0)/\($0["spec"]?["replicas"]?.intValue ?? 1)" },
                    Column("UP-TO-DATE") { String($0["status"]?["updatedReplicas"]?.intValue ?? 0) },
                    Column("AVAILABLE") { String($0["status"]?["availableReplicas"]?.intValue ?? 0) },
                    age]
        case "ConfigMap":
            return [name, Column("DATA") { String(($0["data"]?.objectValue?.count ?? 0) + ($0["binaryData"]?.objectValue?.count ?? 0)) }, age]
        case "Secret":
            return [name, Column("TYPE") { $0["type"]?.stringValue ?? "Opaque" }, Column("DATA") { String($0["data"]?.objectValue?.count ?? 0) }, age]
        case "Namespace":
            return [name, Column("STATUS") { $0["status"]?["phase"]?.stringValue ?? "Active" }, age]
        case "Node":
            return [name,
                    Column("STATUS") { object in
                        let ready = (object["status"]?["conditions"]?.arrayValue ?? []).first { $0["type"]?.stringValue == "Ready" }
                        var status = ready?["status"]?.stringValue == "True" ? "Ready" : "NotReady"
                        if object["spec"]?["unschedulable"]?.boolValue == true { status += ",SchedulingDisabled" }
                        return status
                    },
                    Column("ROLES") { object in
                        let roles = (object.metadata.labels ?? [:]).keys.filter { $0.hasPrefix("node-role.kubernetes.io/") }
                            .map { String($0.dropFirst("node-role.kubernetes.io/".count)) }.sorted()
                        return roles.isEmpty ? "<none>" : roles.joined(separator: ",")
                    },
                    age,
                    Column("VERSION") { $0["status"]?["nodeInfo"]?["kubeletVersion"]?.stringValue ?? "" }]
        case "Lease":
            return [name, Column("HOLDER") { $0["spec"]?["holderIdentity"]?.stringValue ?? "" }, age]
        case "Event":
            return [Column("LAST SEEN") { object in
                        let stamp = object["lastTimestamp"]?.stringValue ?? object["eventTime"]?.stringValue
                        guard let stamp, let date = ISO8601DateFormatter.lenient(stamp) else { return "<unknown>" }
                        return formatAge(now.timeIntervalSince(date))
                    },
                    Column("TYPE") { $0["type"]?.stringValue ?? "" },
                    Column("REASON") { $0["reason"]?.stringValue ?? "" },
                    Column("OBJECT") { object in
                        let kind = object["involvedObject"]?["kind"]?.stringValue?.lowercased() ?? ""
                        return "\(kind)/\(object["involvedObject"]?["name"]?.stringValue ?? "")"
                    },
                    Column("MESSAGE") { $0["message"]?.stringValue ?? "" }]
        case "ServiceAccount":
            return [name, Column("SECRETS") { String($0["secrets"]?.arrayValue?.count ?? 0) }, age]
        default:
            return [name, age]
        }
    }

    var wideColumns: [Column] {
        switch kind {
        case "Pod":
            return [Column("IP") { $0["status"]?["podIP"]?.stringValue ?? "<none>" },
                    Column("NODE") { $0["spec"]?["nodeName"]?.stringValue ?? "<none>" }]
        case "Service":
            return [Column("SELECTOR") { object in
                let selector = object["spec"]?["selector"]?.objectValue ?? [:]
                return selector.isEmpty ? "<none>" : selector.keys.sorted().map { "\($0)=\(selector[$0]?.stringValue ?? "")" }.joined(separator: ",")
            }]
        case "Deployment":
            return [Column("CONTAINERS") { ($0["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.joined(separator: ",") },
                    Column("IMAGES") { ($0["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0["image"]?.stringValue }.joined(separator: ",") },
                    Column("SELECTOR") { object in
                        let labels = object["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:]
                        return labels.keys.sorted().map { "\($0)=\(labels[$0]?.stringValue ?? "")" }.joined(separator: ",")
                    }]
        case "Node":
            return [Column("INTERNAL-IP") { object in
                        (object["status"]?["addresses"]?.arrayValue ?? []).first { $0["type"]?.stringValue == "InternalIP" }?["address"]?.stringValue ?? "<none>"
                    },
                    Column("OS-IMAGE") { $0["status"]?["nodeInfo"]?["osImage"]?.stringValue ?? "" },
                    Column("CONTAINER-RUNTIME") { $0["status"]?["nodeInfo"]?["containerRuntimeVersion"]?.stringValue ?? "" }]
        case "Lease":
            return [Column("RENEWED") { $0["spec"]?["renewTime"]?.stringValue ?? "" }]
        default:
            return [Column("LABELS") { object in
                let labels = object.metadata.labels ?? [:]
                return labels.isEmpty ? "<none>" : labels.keys.sorted().map { "\($0)=\(labels[$0] ?? "")" }.joined(separator: ",")
            }]
        }
    }
}

extension ISO8601DateFormatter {
    /// RFC 3339 with or without fractional seconds.
    static func lenient(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}

extension DynamicObject {
    /// The whole object as one JSON value.
    var jsonValue: JSONValue {
        var members = fields
        if let apiVersion { members["apiVersion"] = .string(apiVersion) }
        if let kind { members["kind"] = .string(kind) }
        members["metadata"] = (try? JSONValue(encoding: metadata)) ?? .object([:])
        return .object(members)
    }
}
