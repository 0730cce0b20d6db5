import APIServerSemantics
import Foundation
import KubeCore

/// Authorization as kube-apiserver does it with `--authorization-mode=RBAC`: the
/// `system:masters` short cut, then the RBAC authorizer over the Roles, ClusterRoles,
/// RoleBindings and ClusterRoleBindings in the store (the bootstrap policy is seeded
/// there at start, so it can be read, changed and deleted like in a real cluster).
extension APIServer {
    /// The authorization decision for `user` doing `attributes`.
    func decide(user: UserInfo, _ attributes: RequestAttributes) async -> AuthorizationDecision {
        let rbacUser = user.rbacUser
        if rbacUser.groups.contains("system:masters") { return AuthorizationDecision(allowed: true, reason: "") }
        let authorizer = await store.rbacAuthorizer()
        return authorizer.authorize(rbacUser, attributes)
    }

    /// Authorizes a request (resource or not); a denial is kube's 403 `Status`.
    func authorize(user: UserInfo, request: ServerRequest) async throws(APIError) {
        var attributes = RequestAttributes(method: request.method, path: request.path, query: request.query.compactMapValues(\.first))
        // HEAD on a non-resource path is authorized as `get`, as the bootstrap roles grant `get`.
        if !attributes.isResourceRequest, attributes.verb == "head" { attributes.verb = "get" }
        let decision = await decide(user: user, attributes)
        guard decision.allowed else {
            throw APIError(status: RBACAuthorizer.forbiddenStatus(user: user.rbacUser, request: attributes, reason: decision.reason))
        }
        // AuthorizePodWebsocketUpgradeCreatePermission (default since 1.31): a WebSocket GET on
        // pods/exec, attach or portforward also needs `create`, as the SPDY POST always did.
        if attributes.isResourceRequest, attributes.verb == "get", attributes.apiGroup.isEmpty, attributes.resource == "pods",
            APIServer.podStreamSubresources.contains(attributes.subresource)
        {
            attributes.verb = "create"
            let create = await decide(user: user, attributes)
            guard create.allowed else {
                throw APIError(status: RBACAuthorizer.forbiddenStatus(user: user.rbacUser, request: attributes, reason: create.reason))
            }
        }
    }

    /// Rules for SelfSubjectRulesReview.
    func rules(for user: UserInfo, namespace: String) async -> SubjectRules {
        await store.rbacAuthorizer().rules(for: user.rbacUser, namespace: namespace)
    }
}

extension UserInfo {
    /// The user as the RBAC evaluator sees it.
    var rbacUser: APIServerSemantics.UserInfo {
        APIServerSemantics.UserInfo(name: username, groups: groups, uid: uid)
    }
}

extension RequestAttributes {
    /// `spec.resourceAttributes` of a (Self/Local)SubjectAccessReview.
    init(resourceAttributes json: JSONValue) {
        func text(_ key: String) -> String { json[key]?.stringValue ?? "" }
        self = .resource(
            verb: text("verb"), apiGroup: text("group"), apiVersion: text("version"), resource: text("resource"),
            subresource: text("subresource"), name: text("name"), namespace: text("namespace"))
    }

    /// `spec.nonResourceAttributes` of a (Self)SubjectAccessReview.
    init(nonResourceAttributes json: JSONValue) {
        self = .nonResource(verb: json["verb"]?.stringValue ?? "", path: json["path"]?.stringValue ?? "")
    }
}

extension ObjectStore {
    static let rbacResources: [GroupResource] = ["roles", "clusterroles", "rolebindings", "clusterrolebindings"].map {
        GroupResource(group: "rbac.authorization.k8s.io", resource: $0)
    }

    /// The RBAC authorizer over the stored RBAC objects, rebuilt after any of them changes.
    func rbacAuthorizer() -> RBACAuthorizer {
        if let cached = rbacCache { return cached }
        let objects = Self.rbacResources.flatMap { all($0) }
        let authorizer = RBACAuthorizer(policy: RBACPolicy(objects: objects))
        rbacCache = authorizer
        return authorizer
    }
}
