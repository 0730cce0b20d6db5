import Foundation

/// One resource or subresource as discovery lists it (mirrors `APIResourceInfo`).
struct ResourceEntry: Equatable {
    var group: String
    var version: String
    var kind: String
    var kindGroup: String
    var kindVersion: String
    var name: String
    var singularName: String
    var namespaced: Bool
    var verbs: [String]
    var shortNames: [String]
    var categories: [String]
}

/// Derives discovery's resource lists from the spec's paths, the way
/// kube-apiserver's discovery documents describe them.
enum ResourceTable {
    /// kube-apiserver's short names (not in the OpenAPI spec), by group and resource.
    static let shortNames: [String: [String]] = [
        "/pods": ["po"], "/services": ["svc"], "/configmaps": ["cm"], "/namespaces": ["ns"], "/nodes": ["no"],
        "/serviceaccounts": ["sa"], "/endpoints": ["ep"], "/events": ["ev"], "/persistentvolumes": ["pv"],
        "/persistentvolumeclaims": ["pvc"], "/replicationcontrollers": ["rc"], "/resourcequotas": ["quota"],
        "/limitranges": ["limits"], "/componentstatuses": ["cs"],
        "apps/deployments": ["deploy"], "apps/daemonsets": ["ds"], "apps/replicasets": ["rs"],
        "apps/statefulsets": ["sts"], "autoscaling/horizontalpodautoscalers": ["hpa"], "batch/cronjobs": ["cj"],
        "certificates.k8s.io/certificatesigningrequests": ["csr"], "networking.k8s.io/ingresses": ["ing"],
        "networking.k8s.io/networkpolicies": ["netpol"], "policy/poddisruptionbudgets": ["pdb"],
        "scheduling.k8s.io/priorityclasses": ["pc"], "storage.k8s.io/storageclasses": ["sc"],
        "apiextensions.k8s.io/customresourcedefinitions": ["crd", "crds"], "events.k8s.io/events": ["ev"],
    ]

    /// kube-apiserver's categories, by group and resource.
    static let categories: [String: [String]] = {
        var table: [String: [String]] = [:]
        for key in [
            "/pods", "/services", "/replicationcontrollers", "apps/deployments", "apps/daemonsets", "apps/replicasets",
            "apps/statefulsets", "batch/jobs", "batch/cronjobs", "autoscaling/horizontalpodautoscalers",
        ] {
            table[key] = ["all"]
        }
        for key in [
            "apiextensions.k8s.io/customresourcedefinitions", "apiregistration.k8s.io/apiservices",
            "admissionregistration.k8s.io/mutatingwebhookconfigurations",
            "admissionregistration.k8s.io/validatingwebhookconfigurations",
            "admissionregistration.k8s.io/validatingadmissionpolicies",
            "admissionregistration.k8s.io/validatingadmissionpolicybindings",
            "admissionregistration.k8s.io/mutatingadmissionpolicies",
            "admissionregistration.k8s.io/mutatingadmissionpolicybindings",
        ] {
            table[key] = ["api-extensions"]
        }
        return table
    }()

    private struct Accumulator {
        var namespaced = false
        var verbs: Set<String> = []
        var gvk: (group: String, version: String, kind: String)?
        var gvkRank = Int.max
    }

    static func entries(_ spec: Spec) -> [ResourceEntry] {
        var result: [ResourceEntry] = []
        for document in spec.documents {
            // Resource name (`pods`, `pods/log`) → what its paths say.
            var found: [String: Accumulator] = [:]
            let prefix = document.group.isEmpty ? "/api/\(document.version)/" : "/apis/\(document.group)/\(document.version)/"
            for path in document.paths.keys.sorted() where path.hasPrefix(prefix) {
                var segments = path.dropFirst(prefix.count).split(separator: "/").map(String.init)
                var isWatchPath = false
                if segments.first == "watch" {
                    isWatchPath = true
                    segments.removeFirst()
                }
                var namespaced = false
                if segments.count >= 3, segments[0] == "namespaces", segments[1] == "{namespace}" {
                    namespaced = true
                    segments.removeFirst(2)
                }
                guard let resource = segments.first, !resource.contains("{") else { continue }
                let hasName = segments.count >= 2 && segments[1] == "{name}"
                guard segments.count <= 3, segments.count == 1 || hasName else { continue }
                let name = segments.count == 3 ? "\(resource)/\(segments[2])" : resource
                var entry = found[name] ?? Accumulator()
                entry.namespaced = entry.namespaced || namespaced
                for (method, value) in document.paths[path] ?? [:] {
                    guard let operation = value as? [String: Any], let action = operation["x-kubernetes-action"] as? String
                    else { continue }
                    let verb: String?
                    switch action {
                    case "get": verb = "get"
                    case "list": verb = "list"
                    case "watch", "watchlist": verb = "watch"
                    case "post": verb = "create"
                    case "put": verb = "update"
                    case "patch": verb = "patch"
                    case "delete": verb = "delete"
                    case "deletecollection": verb = "deletecollection"
                    case "connect":
                        verb = ["get": "get", "post": "create", "put": "update", "patch": "patch", "delete": "delete"][method]
                    default: verb = nil
                    }
                    guard let verb else { continue }
                    entry.verbs.insert(verb)
                    if action == "list", hasWatchParameter(operation, pathItem: document.paths[path] ?? [:]) {
                        entry.verbs.insert("watch")
                    }
                    // Prefer the kind of a plain get/create/update over list or watch paths.
                    let rank = (isWatchPath ? 100 : 0) + (hasName ? 0 : 10) + (["get", "post", "put"].firstIndex(of: method) ?? 5)
                    if let gvk = (operation["x-kubernetes-group-version-kind"] as? [String: Any]), rank < entry.gvkRank {
                        entry.gvk = (gvk["group"] as? String ?? "", gvk["version"] as? String ?? "", gvk["kind"] as? String ?? "")
                        entry.gvkRank = rank
                    }
                }
                found[name] = entry
            }
            for name in found.keys.sorted() {
                guard let entry = found[name], let gvk = entry.gvk, !entry.verbs.isEmpty else { continue }
                let parent = name.split(separator: "/").first.map(String.init) ?? name
                let isSubresource = parent != name
                let key = "\(document.group)/\(name)"
                result.append(
                    ResourceEntry(
                        group: document.group, version: document.version, kind: gvk.kind,
                        kindGroup: gvk.group, kindVersion: gvk.version, name: name,
                        singularName: isSubresource ? "" : gvk.kind.lowercased(),
                        namespaced: isSubresource ? (found[parent]?.namespaced ?? entry.namespaced) : entry.namespaced,
                        verbs: entry.verbs.sorted(),
                        shortNames: isSubresource ? [] : shortNames[key] ?? [],
                        categories: isSubresource ? [] : categories[key] ?? []
                    )
                )
            }
        }
        return result
    }

    private static func hasWatchParameter(_ operation: [String: Any], pathItem: [String: Any]) -> Bool {
        let parameters = (operation["parameters"] as? [[String: Any]] ?? []) + (pathItem["parameters"] as? [[String: Any]] ?? [])
        return parameters.contains { ($0["name"] as? String) == "watch" }
    }

    /// Renders `BuiltinResources.swift`: a compact table parsed on first use
    /// (a literal array of initializer calls compiles far slower).
    static func render(_ entries: [ResourceEntry], header: String) -> String {
        var lines: [String] = []
        for entry in entries {
            let kindGroupVersion =
                (entry.kindGroup == entry.group && entry.kindVersion == entry.version)
                ? "" : entry.kindGroup.isEmpty ? entry.kindVersion : "\(entry.kindGroup)/\(entry.kindVersion)"
            let fields = [
                entry.group, entry.version, entry.kind, entry.name, entry.singularName, entry.namespaced ? "1" : "0",
                entry.verbs.joined(separator: ","), entry.shortNames.joined(separator: ","),
                entry.categories.joined(separator: ","), kindGroupVersion,
            ]
            lines.append(fields.map { $0.isEmpty ? "-" : $0 }.joined(separator: " "))
        }
        return """
            \(header)
            import KubeCore

            /// Every built-in resource and subresource of the stable API groups, as
            /// kube-apiserver's discovery documents list them (`kubectl api-resources`).
            public enum BuiltinResources {
                /// Resources and subresources (`pods`, `pods/status`, `pods/log`, `deployments/scale`),
                /// ordered by group version (as in the spec) and name.
                public static let all: [APIResourceInfo] = table.split(separator: "\\n").map(BuiltinTable.resource)

                // group version kind name singularName namespaced verbs shortNames categories kindGroupVersion
                // (space separated, `-` for an empty field, lists comma separated)
                private static let table = \"\"\"
            \(lines.joined(separator: "\n"))
            \"\"\"
            }

            """
    }
}
