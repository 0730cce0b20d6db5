import APIServerSemantics
import Foundation
import KubeCore

/// RBAC escalation prevention on Role and ClusterRole creates (kube's policy-based role
/// storage): unless the user is in `system:masters` or may `escalate` the role, every rule it
/// grants must be one the user holds in that namespace, or the create is 403 naming the rules
/// it lacks. Not done: the same check on updates and patches, and RoleBinding `bind` checks.
extension APIServer {
    static let escalationCheckedResources: Set<GroupResource> = [
        GroupResource(group: "rbac.authorization.k8s.io", resource: "roles"),
        GroupResource(group: "rbac.authorization.k8s.io", resource: "clusterroles"),
    ]

    func checkNoEscalation(_ body: JSONValue, resource: ServedResource, namespace: String?, user: UserInfo) async throws(APIError) {
        guard Self.escalationCheckedResources.contains(resource.groupResource) else { return }
        let rbacUser = user.rbacUser
        if rbacUser.groups.contains("system:masters") { return }
        let name = body["metadata"]?["name"]?.stringValue ?? ""
        let scope = namespace ?? ""
        let escalate = RequestAttributes.resource(
            verb: "escalate", apiGroup: resource.group, resource: resource.plural, name: name, namespace: scope)
        if await decide(user: user, escalate).allowed { return }

        // BreakdownRule: one rule per group, resource, verb (and resource name / URL).
        var missing: [Rule] = []
        for rule in body["rules"]?.arrayValue ?? [] {
            func strings(_ key: String) -> [String] { rule[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            let verbs = strings("verbs"), names = strings("resourceNames")
            for group in strings("apiGroups") {
                for resourceName in strings("resources") {
                    let parts = resourceName.split(separator: "/", maxSplits: 1).map(String.init)
                    for verb in verbs {
                        for objectName in names.isEmpty ? [""] : names {
                            let attributes = RequestAttributes.resource(
                                verb: verb, apiGroup: group, resource: parts.first ?? "", subresource: parts.count > 1 ? parts[1] : "",
                                name: objectName, namespace: scope)
                            let allowed = await decide(user: user, attributes).allowed
                            if !allowed {
                                missing.append(Rule(groups: [group], resources: [resourceName], urls: [], names: objectName.isEmpty ? [] : [objectName], verbs: [verb]))
                            }
                        }
                    }
                }
            }
            for url in strings("nonResourceURLs") {
                for verb in verbs {
                    let allowed = await decide(user: user, .nonResource(verb: verb, path: url)).allowed
                    if !allowed { missing.append(Rule(groups: [], resources: [], urls: [url], names: [], verbs: [verb])) }
                }
            }
        }
        guard !missing.isEmpty else { return }
        let described = Self.compact(missing).map(\.compactString).sorted()
        let groups = rbacUser.groups.map(Self.goQuoted).joined(separator: " ")
        let message = "user \(Self.goQuoted(rbacUser.name)) (groups=[\(groups)]) is attempting to grant RBAC permissions not currently held:\n"
            + described.joined(separator: "\n")
        throw APIError.forbidden(resource.groupResource, name: name, reason: message)
    }

    /// A policy rule as kube's escalation message prints it (`rbacv1helpers.CompactString`).
    struct Rule: Equatable {
        var groups: [String]
        var resources: [String]
        var urls: [String]
        var names: [String]
        var verbs: [String]

        var compactString: String {
            func list(_ values: [String]) -> String { "[" + values.map(APIServer.goQuoted).joined(separator: " ") + "]" }
            var parts: [String] = []
            if !groups.isEmpty { parts.append("APIGroups:" + list(groups)) }
            if !resources.isEmpty { parts.append("Resources:" + list(resources)) }
            if !urls.isEmpty { parts.append("NonResourceURLs:" + list(urls)) }
            if !names.isEmpty { parts.append("ResourceNames:" + list(names)) }
            if !verbs.isEmpty { parts.append("Verbs:" + list(verbs)) }
            return "{" + parts.joined(separator: ", ") + "}"
        }
    }

    /// `CompactRules`: rules with one group, one resource and no names merge their verbs.
    static func compact(_ rules: [Rule]) -> [Rule] {
        var result: [Rule] = []
        var simple: [String: Int] = [:]
        for rule in rules {
            guard rule.groups.count == 1, rule.resources.count == 1, rule.names.isEmpty, rule.urls.isEmpty else {
                result.append(rule)
                continue
            }
            let key = rule.groups[0] + "\u{0}" + rule.resources[0]
            if let index = simple[key] {
                result[index].verbs += rule.verbs
            } else {
                simple[key] = result.count
                result.append(rule)
            }
        }
        return result
    }

    /// Go's `%q` for the plain strings RBAC names are made of.
    static func goQuoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
