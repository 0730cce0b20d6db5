import Foundation
import KubeClient
import KubeCore
import KubeModels
import Yams

/// One permission to check: `list pods`, `get pods/log`, `update leases -n kube-system`,
/// `get configmaps app-config`.
public struct PermissionNeed: Sendable, Hashable, Codable {
    public var verb: String
    /// The resource as typed (`pods`, `deploy`, `leases.coordination.k8s.io`, `pods/log`).
    public var resource: String
    public var name: String?
    /// `nil`: the configuration's namespace (for namespaced resources).
    public var namespace: String?

    /// The verbs Kubernetes authorizes on resources.
    public static let knownVerbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
                                    "use", "bind", "escalate", "impersonate", "approve", "sign", "proxy", "*"]

    public init(verb: String, resource: String, name: String? = nil, namespace: String? = nil) throws(ProbeError) {
        let lowered = verb.lowercased()
        guard Self.knownVerbs.contains(lowered) else {
            throw ProbeError(.usage, "unknown verb \"\(verb)\"; expected one of: \(Self.knownVerbs.joined(separator: ", "))")
        }
        guard !resource.isEmpty, !resource.hasPrefix("-") else { throw ProbeError(.usage, "a resource is required after the verb \"\(verb)\"") }
        self.verb = lowered
        self.resource = resource
        self.name = name
        self.namespace = namespace
    }

    /// A need built by kubeprobe itself from a verb it knows.
    init(known verb: String, resource: String, name: String? = nil, namespace: String? = nil) {
        self.verb = verb
        self.resource = resource
        self.name = name
        self.namespace = namespace
    }

    /// Parses `VERB RESOURCE [NAME] [-n NAMESPACE]` (also `--namespace NS`, `-nNS`, `--namespace=NS`).
    public init(parsing text: String) throws(ProbeError) {
        var words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var namespace: String?
        var index = 0
        while index < words.count {
            let word = words[index]
            if word == "-n" || word == "--namespace" {
                guard index + 1 < words.count else { throw ProbeError(.usage, "\"\(text)\": \(word) needs a namespace") }
                namespace = words[index + 1]
                words.removeSubrange(index...(index + 1))
            } else if word.hasPrefix("--namespace=") {
                namespace = String(word.dropFirst("--namespace=".count))
                words.remove(at: index)
            } else if word.hasPrefix("-n"), word.count > 2 {
                namespace = String(word.dropFirst(2))
                words.remove(at: index)
            } else {
                index += 1
            }
        }
        guard words.count == 2 || words.count == 3 else {
            throw ProbeError(.usage, "\"\(text)\" is not VERB RESOURCE [NAME] [-n NAMESPACE] (example: \"update leases -n kube-system\")")
        }
        try self.init(verb: words[0], resource: words[1], name: words.count == 3 ? words[2] : nil, namespace: namespace)
    }

    public var description: String {
        "\(verb) \(resource)\(name.map { " " + $0 } ?? "")\(namespace.map { " -n " + $0 } ?? "")"
    }
}

/// A need resolved through discovery and answered by a SelfSubjectAccessReview.
public struct PermissionAnswer: Sendable, Hashable, Codable {
    public var need: PermissionNeed
    public var group: String
    /// The plural resource name (`leases`).
    public var resource: String
    public var subresource: String?
    /// `nil` for cluster-scoped resources.
    public var namespace: String?
    public var allowed: Bool
    public var reason: String?

    /// `leases.coordination.k8s.io`, `pods/log`.
    public var qualifiedResource: String {
        (group.isEmpty ? resource : "\(resource).\(group)") + (subresource.map { "/" + $0 } ?? "")
    }
}

/// The subject a fix binds: the service account of the token, or the user.
public struct RBACSubject: Sendable, Hashable {
    public var kind: String
    public var name: String
    public var namespace: String?

    /// `system:serviceaccount:NS:NAME` becomes a ServiceAccount subject; anything else a User.
    public init(username: String) {
        let prefix = "system:serviceaccount:"
        if username.hasPrefix(prefix) {
            let parts = username.dropFirst(prefix.count).split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                kind = "ServiceAccount"
                namespace = parts[0]
                name = parts[1]
                return
            }
        }
        kind = "User"
        name = username
        namespace = nil
    }
}

enum Permissions {
    /// Resolves the need's resource through discovery and asks the server.
    static func check(_ need: PermissionNeed, client: KubeClient, defaultNamespace: String) async throws -> PermissionAnswer {
        let parts = need.resource.split(separator: "/", maxSplits: 1).map(String.init)
        let info = try await client.resolve(parts[0])
        let namespace = info.namespaced ? (need.namespace ?? defaultNamespace) : nil
        let review = Authorization.V1.SelfSubjectAccessReview(
            spec: Authorization.V1.SelfSubjectAccessReviewSpec(
                resourceAttributes: Authorization.V1.ResourceAttributes(
                    group: info.group, name: need.name, namespace: namespace, resource: info.name,
                    subresource: parts.count > 1 ? parts[1] : nil, verb: need.verb)))
        let answer = try await Api<Authorization.V1.SelfSubjectAccessReview>.cluster(client).create(review)
        return PermissionAnswer(
            need: need, group: info.group, resource: info.name, subresource: parts.count > 1 ? parts[1] : nil, namespace: namespace,
            allowed: answer.status?.allowed ?? false, reason: answer.status?.reason.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// A Role + RoleBinding per namespace (ClusterRole + ClusterRoleBinding for cluster-scoped
    /// resources) granting exactly `missing` to `subject`, as multi-document YAML.
    static func fixYAML(for missing: [PermissionAnswer], subject: RBACSubject, roleName: String) -> String {
        var byScope: [String?: [PermissionAnswer]] = [:]
        for answer in missing { byScope[answer.namespace, default: []].append(answer) }
        var documents: [String] = []
        let rbacSubject = RBAC.V1.Subject(
            apiGroup: subject.kind == "ServiceAccount" ? nil : "rbac.authorization.k8s.io", kind: subject.kind, name: subject.name,
            namespace: subject.namespace)
        let scopes = byScope.keys.sorted { ($0 ?? "") < ($1 ?? "") }
        for scope in scopes {
            let rules = policyRules(byScope[scope] ?? [])
            if let namespace = scope {
                let role = RBAC.V1.Role(metadata: ObjectMeta(name: roleName, namespace: namespace), rules: rules)
                let binding = RBAC.V1.RoleBinding(
                    metadata: ObjectMeta(name: roleName, namespace: namespace),
                    roleRef: RBAC.V1.RoleRef(apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roleName), subjects: [rbacSubject])
                documents.append(encodeYAML(role))
                documents.append(encodeYAML(binding))
            } else {
                let role = RBAC.V1.ClusterRole(metadata: ObjectMeta(name: roleName), rules: rules)
                let binding = RBAC.V1.ClusterRoleBinding(
                    metadata: ObjectMeta(name: roleName),
                    roleRef: RBAC.V1.RoleRef(apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName), subjects: [rbacSubject])
                documents.append(encodeYAML(role))
                documents.append(encodeYAML(binding))
            }
        }
        return documents.joined(separator: "---\n")
    }

    /// One rule per (group, resource, names), verbs merged, in a stable order.
    static func policyRules(_ answers: [PermissionAnswer]) -> [RBAC.V1.PolicyRule] {
        struct Key: Hashable, Comparable {
            var group: String
            var resource: String
            var name: String?
            static func < (a: Key, b: Key) -> Bool { (a.group, a.resource, a.name ?? "") < (b.group, b.resource, b.name ?? "") }
        }
        var verbs: [Key: [String]] = [:]
        for answer in answers {
            let key = Key(group: answer.group, resource: answer.resource + (answer.subresource.map { "/" + $0 } ?? ""), name: answer.need.name)
            if !(verbs[key]?.contains(answer.need.verb) ?? false) { verbs[key, default: []].append(answer.need.verb) }
        }
        return verbs.keys.sorted().map { key in
            RBAC.V1.PolicyRule(apiGroups: [key.group], resourceNames: key.name.map { [$0] }, resources: [key.resource], verbs: verbs[key] ?? [])
        }
    }

    static func encodeYAML(_ value: some Encodable) -> String {
        (try? YAMLEncoder().encode(value)) ?? ""
    }
}

extension JSONValue {
    /// A YAML node with keys sorted, as `kubectl get -o yaml` prints them.
    var yamlNode: Yams.Node {
        switch self {
        case .null: return Node("null", Tag(.null))
        case .bool(let value): return Node(value ? "true" : "false", Tag(.bool))
        case .int(let value): return Node(String(value), Tag(.int))
        case .double(let value): return Node(String(value), Tag(.float))
        case .string(let value): return Node(value, Tag(.str))
        case .array(let values): return Node(values.map(\.yamlNode))
        case .object(let members): return Node(members.keys.sorted().map { (Node($0), members[$0]!.yamlNode) })
        }
    }

    /// The value as YAML text.
    var yamlText: String { (try? Yams.serialize(node: yamlNode)) ?? "" }
}
