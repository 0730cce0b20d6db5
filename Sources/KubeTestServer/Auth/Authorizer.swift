import Foundation
import KubeCore

/// What a request wants to do, in the words of `authorizer.Attributes`.
struct AccessAttributes: Sendable, Hashable {
    var verb: String
    var isResourceRequest: Bool
    var group = ""
    var resource = ""
    var subresource = ""
    var namespace = ""
    var name = ""
    var path = ""

    init(info: RequestInfo) {
        verb = info.verb
        isResourceRequest = info.isResourceRequest
        group = info.group
        resource = info.resource
        subresource = info.subresource
        namespace = info.namespace
        name = info.name
        path = info.path
    }

    init(resourceAttributes: JSONValue) {
        verb = resourceAttributes["verb"]?.stringValue ?? ""
        isResourceRequest = true
        group = resourceAttributes["group"]?.stringValue ?? ""
        resource = resourceAttributes["resource"]?.stringValue ?? ""
        subresource = resourceAttributes["subresource"]?.stringValue ?? ""
        namespace = resourceAttributes["namespace"]?.stringValue ?? ""
        name = resourceAttributes["name"]?.stringValue ?? ""
    }

    init(nonResourceAttributes: JSONValue) {
        verb = nonResourceAttributes["verb"]?.stringValue ?? ""
        isResourceRequest = false
        path = nonResourceAttributes["path"]?.stringValue ?? ""
    }

    /// `pods` or `pods/log`.
    var resourceWithSubresource: String { subresource.isEmpty ? resource : "\(resource)/\(subresource)" }

    /// kube-apiserver's denial text: `User "u" cannot list resource "pods" in API group "" in the namespace "ns"`.
    func denialReason(user: String) -> String {
        guard isResourceRequest else { return "User \"\(user)\" cannot \(verb) path \"\(path)\"" }
        let scope = namespace.isEmpty ? "at the cluster scope" : "in the namespace \"\(namespace)\""
        return "User \"\(user)\" cannot \(verb) resource \"\(resourceWithSubresource)\" in API group \"\(group)\" \(scope)"
    }
}

/// One authorization answer.
struct AccessDecision: Sendable {
    var allowed: Bool
    var reason: String
}

/// The default bootstrap policy every cluster has, which holds before any RBAC object
/// is consulted: `system:masters` may do anything; everyone may read the health and
/// version endpoints (`system:public-info-viewer`); authenticated users may read
/// discovery (`system:discovery`) and create self reviews (`system:basic-user`).
enum BootstrapPolicy {
    static let publicPaths = ["/healthz", "/livez", "/readyz", "/version"]
    static let discoveryPaths = ["/api", "/apis", "/openapi"]

    static func decide(user: UserInfo, _ attributes: AccessAttributes) -> AccessDecision? {
        if user.groups.contains("system:masters") { return AccessDecision(allowed: true, reason: "") }
        if !attributes.isResourceRequest {
            let path = attributes.path
            let isGet = attributes.verb == "get" || attributes.verb == "head"
            if isGet, publicPaths.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) {
                return AccessDecision(allowed: true, reason: "RBAC: allowed by ClusterRoleBinding \"system:public-info-viewer\"")
            }
            if isGet, user.groups.contains("system:authenticated"), discoveryPaths.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) {
                return AccessDecision(allowed: true, reason: "RBAC: allowed by ClusterRoleBinding \"system:discovery\"")
            }
            return nil
        }
        if attributes.verb == "create", user.groups.contains("system:authenticated"),
            (attributes.group == "authorization.k8s.io" && ["selfsubjectaccessreviews", "selfsubjectrulesreviews"].contains(attributes.resource))
                || (attributes.group == "authentication.k8s.io" && attributes.resource == "selfsubjectreviews")
        {
            return AccessDecision(allowed: true, reason: "RBAC: allowed by ClusterRoleBinding \"system:basic-user\"")
        }
        return nil
    }

    /// The rules `system:basic-user`, `system:discovery` and `system:public-info-viewer` grant.
    static let resourceRules: [JSONValue] = [
        ["verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]],
        ["verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]],
    ]
    static let nonResourceRules: [JSONValue] = [
        ["verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]],
    ]
}

extension APIServer {
    /// The authorization decision for `user` doing `attributes`.
    func decide(user: UserInfo, _ attributes: AccessAttributes) async -> AccessDecision {
        if let decision = BootstrapPolicy.decide(user: user, attributes) { return decision }
        return AccessDecision(allowed: false, reason: "")
    }

    func authorize(user: UserInfo, info: RequestInfo) async throws(APIError) {
        let attributes = AccessAttributes(info: info)
        let decision = await decide(user: user, attributes)
        guard !decision.allowed else { return }
        var reason = attributes.denialReason(user: user.username)
        if !decision.reason.isEmpty { reason += ": \(decision.reason)" }
        throw APIError.forbidden(GroupResource(group: info.group, resource: info.resource), name: info.name, reason: reason)
    }

    func authorizeNonResource(user: UserInfo, verb: String, path: String) async throws(APIError) {
        var attributes = AccessAttributes(nonResourceAttributes: ["verb": .string(verb), "path": .string(path)])
        attributes.verb = verb == "head" ? "get" : verb
        let decision = await decide(user: user, attributes)
        guard decision.allowed else { throw APIError.forbiddenPath(user: user.username, verb: attributes.verb, path: path) }
    }

    /// Rules for SelfSubjectRulesReview.
    func rules(for user: UserInfo, namespace: String) async -> (resourceRules: [JSONValue], nonResourceRules: [JSONValue]) {
        if user.groups.contains("system:masters") {
            return ([["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]]] + BootstrapPolicy.resourceRules,
                    [["verbs": ["*"], "nonResourceURLs": ["*"]]] + BootstrapPolicy.nonResourceRules)
        }
        return (BootstrapPolicy.resourceRules, BootstrapPolicy.nonResourceRules)
    }
}
