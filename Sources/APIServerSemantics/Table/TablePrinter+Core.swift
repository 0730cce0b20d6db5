import Foundation
import KubeCore

extension TablePrinter {
    static let printers: [Key: TablePrinter] = [
        Key(group: "", resource: "pods"): pods,
        Key(group: "", resource: "services"): services,
        Key(group: "", resource: "configmaps"): configMaps,
        Key(group: "", resource: "secrets"): secrets,
        Key(group: "", resource: "namespaces"): namespaces,
        Key(group: "", resource: "nodes"): nodes,
        Key(group: "", resource: "serviceaccounts"): serviceAccounts,
        Key(group: "", resource: "events"): events,
        Key(group: "", resource: "endpoints"): endpoints,
        Key(group: "apps", resource: "deployments"): deployments,
        Key(group: "apps", resource: "replicasets"): replicaSets,
        Key(group: "apps", resource: "statefulsets"): statefulSets,
        Key(group: "apps", resource: "daemonsets"): daemonSets,
        Key(group: "batch", resource: "jobs"): jobs,
        Key(group: "batch", resource: "cronjobs"): cronJobs,
        Key(group: "coordination.k8s.io", resource: "leases"): leases,
        Key(group: "discovery.k8s.io", resource: "endpointslices"): endpointSlices,
        Key(group: "rbac.authorization.k8s.io", resource: "roles"): roles,
        Key(group: "rbac.authorization.k8s.io", resource: "clusterroles"): roles,
        Key(group: "rbac.authorization.k8s.io", resource: "rolebindings"): roleBindings,
        Key(group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"): roleBindings,
    ]

    static let services = TablePrinter(
        columns: [
            .nameColumn, .string("Type", "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"),
            .string("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
            .string("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system."),
            .string("Port(s)", "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"), .ageColumn,
            .string("Selector", priority: 1, "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/"),
        ],
        cells: { object, now in
            let spec = object["spec"]
            let type = spec?["type"]?.stringValue ?? "ClusterIP"
            let externalIPs = (spec?["externalIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
            let external: String
            switch type {
            case "ClusterIP", "NodePort":
                external = externalIPs.isEmpty ? "<none>" : externalIPs.joined(separator: ",")
            case "LoadBalancer":
                let ingress = (object["status"]?["loadBalancer"]?["ingress"]?.arrayValue ?? []).compactMap {
                    $0["ip"]?.stringValue ?? $0["hostname"]?.stringValue
                }
                let all = ingress + externalIPs
                external = all.isEmpty ? "<pending>" : all.joined(separator: ",")
            case "ExternalName":
                external = spec?["externalName"]?.stringValue ?? ""
            default:
                external = "<unknown>"
            }
            let ports = (spec?["ports"]?.arrayValue ?? []).map { port in
                let proto = port["protocol"]?.stringValue ?? "TCP"
                if let nodePort = port["nodePort"]?.intValue, nodePort != 0 {
                    return "\(int(port["port"])):\(nodePort)/\(proto)"
                }
                return "\(int(port["port"]))/\(proto)"
            }
            return [
                name(object), .string(type), .string(orNone(spec?["clusterIP"]?.stringValue)), .string(external),
                .string(ports.isEmpty ? "<none>" : ports.joined(separator: ",")), creationAge(object, now),
                .string(formatLabels(spec?["selector"])),
            ]
        })

    static let configMaps = TablePrinter(
        columns: [
            .nameColumn,
            .string("Data", "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."),
            .ageColumn,
        ],
        cells: { object, now in
            let count = (object["data"]?.objectValue?.count ?? 0) + (object["binaryData"]?.objectValue?.count ?? 0)
            return [name(object), .int(Int64(count)), creationAge(object, now)]
        })

    static let secrets = TablePrinter(
        columns: [
            .nameColumn, .string("Type", "The type of the secret"),
            .integer("Data", "The number of keys in the secret"), .ageColumn,
        ],
        cells: { object, now in
            let count = (object["data"]?.objectValue?.count ?? 0)
            return [name(object), .string(object["type"]?.stringValue ?? ""), .int(Int64(count)), creationAge(object, now)]
        })

    static let namespaces = TablePrinter(
        columns: [.nameColumn, .string("Status", "The status of the namespace"), .ageColumn],
        cells: { object, now in
            [name(object), .string(object["status"]?["phase"]?.stringValue ?? ""), creationAge(object, now)]
        })

    /// NodeStatus `addresses` field doc (both IP columns carry it).
    static let nodeAddressesDescription = "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP)."

    static let nodes = TablePrinter(
        columns: [
            .nameColumn, .string("Status", "The status of the node"), .string("Roles", "The roles of the node"),
            .ageColumn, .string("Version", "Kubelet Version reported by the node."),
            .string("Internal-IP", priority: 1, nodeAddressesDescription),
            .string("External-IP", priority: 1, nodeAddressesDescription),
            .string("OS-Image", priority: 1, "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
            .string("Kernel-Version", priority: 1, "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
            .string("Container-Runtime", priority: 1, "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."),
        ],
        cells: { object, now in
            let status = object["status"]
            let ready = (status?["conditions"]?.arrayValue ?? []).first { $0["type"] == "Ready" }
            var state: String
            switch ready?["status"]?.stringValue {
            case "True": state = "Ready"
            case "False": state = "NotReady"
            default: state = "Unknown"
            }
            if object["spec"]?["unschedulable"] == true { state += ",SchedulingDisabled" }
            var roles: [String] = []
            for (key, value) in object["metadata"]?["labels"]?.objectValue ?? [:] {
                if key.hasPrefix("node-role.kubernetes.io/") {
                    let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                    if !role.isEmpty { roles.append(role) }
                } else if key == "kubernetes.io/role", let role = value.stringValue, !role.isEmpty {
                    roles.append(role)
                }
            }
            func address(_ type: String) -> String {
                orNone((status?["addresses"]?.arrayValue ?? []).first { $0["type"]?.stringValue == type }?["address"]?.stringValue)
            }
            let info = status?["nodeInfo"]
            return [
                name(object), .string(state), .string(roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ",")),
                creationAge(object, now), .string(info?["kubeletVersion"]?.stringValue ?? ""),
                .string(address("InternalIP")), .string(address("ExternalIP")),
                .string(orNone(info?["osImage"]?.stringValue)), .string(orNone(info?["kernelVersion"]?.stringValue)),
                .string(orNone(info?["containerRuntimeVersion"]?.stringValue)),
            ]
        })

    static let serviceAccounts = TablePrinter(
        // kube 1.36 prints no `Secrets` column any more (recorded: Name, Age).
        columns: [.nameColumn, .ageColumn],
        cells: { object, now in [name(object), creationAge(object, now)] })

    static let events = TablePrinter(
        columns: [
            .string("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
            .string("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
            .string("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
            .string("Object", "The object that this event is about."),
            .string("Subobject", priority: 1, "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object."),
            .string("Source", priority: 1, "The component reporting this event. Should be a short machine understandable string."),
            .string("Message", "A human-readable description of the status of this operation."),
            .string("First Seen", priority: 1, "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"),
            .string("Count", priority: 1, "The number of times this event has occurred."),
            Column(name: "Name", format: "name", priority: 1, description: Column.nameColumn.description),
        ],
        cells: { object, now in
            let series = object["series"]
            let eventTime = object["eventTime"]
            let lastSeen: String
            if let observed = series?["lastObservedTime"] {
                lastSeen = age(observed, now: now)
            } else if let last = object["lastTimestamp"], last != .null {
                lastSeen = age(last, now: now)
            } else {
                lastSeen = age(eventTime, now: now)
            }
            let first = object["firstTimestamp"].flatMap { $0 == .null ? nil : $0 } ?? eventTime
            let involved = object["involvedObject"]
            var source = object["source"]?["component"]?.stringValue ?? ""
            if source.isEmpty { source = object["reportingComponent"]?.stringValue ?? "" }
            if let host = object["source"]?["host"]?.stringValue, !host.isEmpty {
                source += ", " + host
            } else if let instance = object["reportingInstance"]?.stringValue, !instance.isEmpty {
                source += ", " + instance
            }
            let count = series?["count"]?.intValue ?? object["count"]?.intValue ?? 1
            return [
                .string(lastSeen), .string(object["type"]?.stringValue ?? ""), .string(object["reason"]?.stringValue ?? ""),
                .string("\((involved?["kind"]?.stringValue ?? "").lowercased())/\(involved?["name"]?.stringValue ?? "")"),
                .string(involved?["fieldPath"]?.stringValue ?? ""), .string(source),
                .string((object["message"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)),
                .string(age(first, now: now)), .int(count), name(object),
            ]
        })

    static let leases = TablePrinter(
        columns: [.nameColumn, .string("Holder", "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field."), .ageColumn],
        cells: { object, now in
            [name(object), .string(object["spec"]?["holderIdentity"]?.stringValue ?? ""), creationAge(object, now)]
        })

    static let endpoints = TablePrinter(
        columns: [.nameColumn, .string("Endpoints", "Endpoints of the service"), .ageColumn],
        cells: { object, now in
            let subsets = object["subsets"]?.arrayValue ?? []
            guard !subsets.isEmpty else { return [name(object), "<none>", creationAge(object, now)] }
            var list: [String] = []
            var more = false
            var count = 0
            for subset in subsets {
                let addresses = (subset["addresses"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
                let ports = subset["ports"]?.arrayValue ?? []
                if ports.isEmpty {
                    count += addresses.count
                    for ip in addresses {
                        if list.count == 3 { more = true; break }
                        list.append(ip)
                    }
                    continue
                }
                for port in ports {
                    count += addresses.count
                    for ip in addresses {
                        if list.count == 3 { more = true; break }
                        list.append(joinHostPort(ip, int(port["port"])))
                    }
                }
            }
            var text = list.joined(separator: ",")
            if more { text += " + \(count - 3) more..." }
            return [name(object), .string(text), creationAge(object, now)]
        })

    static let endpointSlices = TablePrinter(
        columns: [
            .nameColumn, .string("AddressType", "Type of address carried by this EndpointSlice"),
            .string("Ports", "Ports of the endpoint slice"), .string("Endpoints", "Endpoints of the endpoint slice"),
            .ageColumn,
        ],
        cells: { object, now in
            let ports = object["ports"]?.arrayValue ?? []
            var portText = "<unset>"
            if !ports.isEmpty {
                let shown = ports.prefix(3).map { $0["port"]?.intValue.map(String.init) ?? "<unset>" }
                portText = shown.joined(separator: ",") + (ports.count > 3 ? " + \(ports.count - 3) more..." : "")
            }
            let addresses = (object["endpoints"]?.arrayValue ?? []).flatMap {
                ($0["addresses"]?.arrayValue ?? []).compactMap(\.stringValue)
            }
            var endpointText = "<unset>"
            if !addresses.isEmpty {
                endpointText = addresses.prefix(3).joined(separator: ",")
                    + (addresses.count > 3 ? " + \(addresses.count - 3) more..." : "")
            }
            return [
                name(object), .string(object["addressType"]?.stringValue ?? ""), .string(portText), .string(endpointText),
                creationAge(object, now),
            ]
        })

    static let roles = TablePrinter(
        columns: [.nameColumn, Column(name: "Created At", type: "date", description: Column.ageColumn.description)],
        cells: { object, _ in [name(object), .string(timestampRFC3339(object["metadata"]?["creationTimestamp"]))] },
        emptyRowsAreNull: true)

    static let roleBindings = TablePrinter(
        columns: [
            .nameColumn, .string("Role", "Role references a role in the current namespace or a cluster role."), .ageColumn,
            .string("Users", priority: 1, "Users in the roleBinding"),
            .string("Groups", priority: 1, "Groups in the roleBinding"),
            .string("ServiceAccounts", priority: 1, "ServiceAccounts in the roleBinding"),
        ],
        cells: { object, now in
            let subjects = object["subjects"]?.arrayValue ?? []
            func names(_ kind: String) -> String {
                subjects.filter { $0["kind"]?.stringValue == kind }.map { subject -> String in
                    let subjectName = subject["name"]?.stringValue ?? ""
                    guard kind == "ServiceAccount" else { return subjectName }
                    return "\(subject["namespace"]?.stringValue ?? "")/\(subjectName)"
                }.joined(separator: ", ")
            }
            let ref = object["roleRef"]
            return [
                name(object), .string("\(ref?["kind"]?.stringValue ?? "")/\(ref?["name"]?.stringValue ?? "")"),
                creationAge(object, now), .string(names("User")), .string(names("Group")),
                .string(names("ServiceAccount")),
            ]
        })
}

/// Go's `net.JoinHostPort`: IPv6 addresses in brackets.
func joinHostPort(_ host: String, _ port: Int64) -> String {
    host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
}
