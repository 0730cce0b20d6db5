import KubeCore

/// kube-apiserver's RBAC authorizer (`plugin/pkg/auth/authorizer/rbac`) over stored RBAC
/// objects, plus the privileged-group short cut (`system:masters`) that runs before it.
///
/// ClusterRoleBindings are visited first, then the RoleBindings of the request's namespace
/// (each list by name, for stable reasons); the first rule that allows wins. A RoleBinding
/// may reference a ClusterRole: its rules then apply in the binding's namespace only.
/// ServiceAccount subjects without a namespace take the RoleBinding's. ClusterRoles with an
/// `aggregationRule` get the rules of every ClusterRole their selectors match (what the
/// aggregation controller writes), unless they already list rules.
public struct RBACAuthorizer: Sendable {
    public var policy: RBACPolicy
    /// Groups allowed everything without consulting RBAC (kube: `system:masters`).
    public var privilegedGroups: Set<String>

    public init(policy: RBACPolicy, privilegedGroups: Set<String> = ["system:masters"]) {
        self.policy = policy
        self.privilegedGroups = privilegedGroups
    }

    /// Whether `user` may do `request`, with the reason SubjectAccessReview reports.
    public func authorize(_ user: UserInfo, _ request: RequestAttributes) -> AuthorizationDecision {
        if user.groups.contains(where: privilegedGroups.contains) {
            return AuthorizationDecision(allowed: true, reason: "")
        }
        var errors: [String] = []
        var reason: String?
        visitRules(for: user, namespace: request.namespace) { source, rule, error in
            if let error {
                errors.append(error)
                return true
            }
            if let rule, rule.allows(request) {
                reason = "RBAC: allowed by \(source)"
                return false
            }
            return true
        }
        if let reason { return AuthorizationDecision(allowed: true, reason: reason) }
        return AuthorizationDecision(allowed: false, reason: errors.isEmpty ? "" : "RBAC: " + aggregate(errors))
    }

    /// The rules that apply to `user` in `namespace` (cluster-wide ones included), as
    /// `SelfSubjectRulesReview.status` lists them.
    public func rules(for user: UserInfo, namespace: String) -> SubjectRules {
        var resourceRules: [JSONValue] = []
        var nonResourceRules: [JSONValue] = []
        var errors: [String] = []
        if user.groups.contains(where: privilegedGroups.contains) {
            // What kube's privileged-group rules resolver reports for system:masters.
            resourceRules.append(["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]])
            nonResourceRules.append(["verbs": ["*"], "nonResourceURLs": ["*"]])
        }
        visitRules(for: user, namespace: namespace) { _, rule, error in
            if let error { errors.append(error) }
            guard let rule else { return true }
            func list(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
            if !rule.nonResourceURLs.isEmpty {
                nonResourceRules.append(["verbs": list(rule.verbs), "nonResourceURLs": list(rule.nonResourceURLs)])
            }
            if !rule.resources.isEmpty || rule.nonResourceURLs.isEmpty {
                var json: [String: JSONValue] = ["verbs": list(rule.verbs)]
                if !rule.apiGroups.isEmpty { json["apiGroups"] = list(rule.apiGroups) }
                if !rule.resources.isEmpty { json["resources"] = list(rule.resources) }
                if !rule.resourceNames.isEmpty { json["resourceNames"] = list(rule.resourceNames) }
                resourceRules.append(.object(json))
            }
            return true
        }
        return SubjectRules(
            resourceRules: resourceRules, nonResourceRules: nonResourceRules, incomplete: !errors.isEmpty,
            evaluationError: errors.isEmpty ? nil : aggregate(errors))
    }

    /// rule.go `VisitRulesFor`: calls `visit(source, rule, error)` for every rule bound to the
    /// user; `visit` returns `false` to stop.
    private func visitRules(
        for user: UserInfo, namespace: String, _ visit: (String, PolicyRule?, String?) -> Bool
    ) {
        for binding in sortedByName(policy.clusterRoleBindings) {
            guard let subject = appliesTo(user, binding, bindingNamespace: "") else { continue }
            let (rules, error) = rules(of: binding, namespace: "")
            if let error, !visit("", nil, error) { return }
            let source = "ClusterRoleBinding \(quoted(name(of: binding))) of \(roleRefKind(binding)) "
                + "\(quoted(roleRefName(binding))) to \(describe(subject, bindingNamespace: ""))"
            for rule in rules where !visit(source, rule, nil) { return }
        }
        guard !namespace.isEmpty else { return }
        let bindings = policy.roleBindings.filter { $0["metadata"]?["namespace"]?.stringValue == namespace }
        for binding in sortedByName(bindings) {
            guard let subject = appliesTo(user, binding, bindingNamespace: namespace) else { continue }
            let (rules, error) = rules(of: binding, namespace: namespace)
            if let error, !visit("", nil, error) { return }
            let source = "RoleBinding \(quoted(name(of: binding) + "/" + namespace)) of \(roleRefKind(binding)) "
                + "\(quoted(roleRefName(binding))) to \(describe(subject, bindingNamespace: namespace))"
            for rule in rules where !visit(source, rule, nil) { return }
        }
    }

    /// The first subject of `binding` that matches `user` (rule.go `appliesTo`).
    private func appliesTo(_ user: UserInfo, _ binding: JSONValue, bindingNamespace: String) -> JSONValue? {
        for subject in binding["subjects"]?.arrayValue ?? [] {
            let subjectName = subject["name"]?.stringValue ?? ""
            switch subject["kind"]?.stringValue {
            case "User":
                if user.name == subjectName { return subject }
            case "Group":
                if user.groups.contains(subjectName) { return subject }
            case "ServiceAccount":
                let subjectNamespace = subject["namespace"]?.stringValue ?? ""
                let saNamespace = subjectNamespace.isEmpty ? bindingNamespace : subjectNamespace
                if !saNamespace.isEmpty && user.name == "system:serviceaccount:\(saNamespace):\(subjectName)" {
                    return subject
                }
            default:
                continue
            }
        }
        return nil
    }

    private func rules(of binding: JSONValue, namespace: String) -> ([PolicyRule], String?) {
        let roleName = roleRefName(binding)
        switch roleRefKind(binding) {
        case "Role":
            guard let role = policy.roles.first(where: {
                name(of: $0) == roleName && $0["metadata"]?["namespace"]?.stringValue == namespace
            }) else {
                return ([], "role.rbac.authorization.k8s.io \(quoted(roleName)) not found")
            }
            return ((role["rules"]?.arrayValue ?? []).map(PolicyRule.init), nil)
        case "ClusterRole":
            guard let role = policy.clusterRoles.first(where: { name(of: $0) == roleName }) else {
                return ([], "clusterrole.rbac.authorization.k8s.io \(quoted(roleName)) not found")
            }
            return (clusterRoleRules(role).map(PolicyRule.init), nil)
        default:
            return ([], "unsupported role reference kind: \(quoted(roleRefKind(binding)))")
        }
    }

    private func clusterRoleRules(_ role: JSONValue) -> [JSONValue] {
        let own = role["rules"]?.arrayValue ?? []
        guard own.isEmpty, let selectors = role["aggregationRule"]?["clusterRoleSelectors"]?.arrayValue,
            !selectors.isEmpty
        else { return own }
        let parsed = selectors.compactMap(Self.labelSelector)
        var rules: [JSONValue] = []
        for other in sortedByName(policy.clusterRoles) where name(of: other) != name(of: role) {
            let labels = (other["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            guard parsed.contains(where: { $0.matches(labels) }) else { continue }
            for rule in other["rules"]?.arrayValue ?? [] where !rules.contains(rule) { rules.append(rule) }
        }
        return rules
    }

    /// A `metav1.LabelSelector` in JSON; `nil` when it is invalid (it then selects nothing).
    package static func labelSelector(_ json: JSONValue) -> LabelSelector? {
        var requirements: [LabelSelector.Requirement] = []
        do {
            for (key, value) in json["matchLabels"]?.objectValue ?? [:] {
                guard let text = value.stringValue else { return nil }
                requirements.append(try LabelSelector.Requirement(key, .equals, [text]))
            }
            for expression in json["matchExpressions"]?.arrayValue ?? [] {
                guard let key = expression["key"]?.stringValue else { return nil }
                let values = expression["values"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let op: LabelSelector.Requirement.Operator
                switch expression["operator"]?.stringValue {
                case "In": op = .in
                case "NotIn": op = .notIn
                case "Exists": op = .exists
                case "DoesNotExist": op = .doesNotExist
                default: return nil
                }
                requirements.append(try LabelSelector.Requirement(key, op, values))
            }
        } catch {
            return nil
        }
        return LabelSelector(requirements)
    }

    private func describe(_ subject: JSONValue, bindingNamespace: String) -> String {
        let kind = subject["kind"]?.stringValue ?? ""
        let name = subject["name"]?.stringValue ?? ""
        guard kind == "ServiceAccount" else { return "\(kind) \(quoted(name))" }
        let namespace = subject["namespace"]?.stringValue ?? ""
        return "\(kind) \(quoted(name + "/" + (namespace.isEmpty ? bindingNamespace : namespace)))"
    }

    private func name(of object: JSONValue) -> String { object["metadata"]?["name"]?.stringValue ?? "" }
    private func roleRefKind(_ binding: JSONValue) -> String { binding["roleRef"]?["kind"]?.stringValue ?? "" }
    private func roleRefName(_ binding: JSONValue) -> String { binding["roleRef"]?["name"]?.stringValue ?? "" }
    private func sortedByName(_ objects: [JSONValue]) -> [JSONValue] { objects.sorted { name(of: $0) < name(of: $1) } }

    /// utilerrors.NewAggregate's message.
    private func aggregate(_ errors: [String]) -> String {
        errors.count == 1 ? errors[0] : "[" + errors.joined(separator: ", ") + "]"
    }
}

/// What SelfSubjectRulesReview reports: `status.resourceRules`, `status.nonResourceRules`,
/// `status.incomplete`, `status.evaluationError`.
public struct SubjectRules: Sendable, Hashable {
    public var resourceRules: [JSONValue]
    public var nonResourceRules: [JSONValue]
    public var incomplete: Bool
    public var evaluationError: String?

    /// The `status` object of a `SelfSubjectRulesReview`.
    public var status: JSONValue {
        var json: [String: JSONValue] = [
            "resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules),
            "incomplete": .bool(incomplete),
        ]
        if let evaluationError { json["evaluationError"] = .string(evaluationError) }
        return .object(json)
    }
}
