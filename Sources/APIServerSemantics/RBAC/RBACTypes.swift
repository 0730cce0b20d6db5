import KubeCore

/// An authenticated (or anonymous) user as the authorizer sees it (`user.Info`).
public struct UserInfo: Sendable, Hashable {
    /// `system:serviceaccount:<ns>:<name>` for service accounts.
    public var name: String
    /// Including `system:authenticated`, `system:serviceaccounts`, `system:serviceaccounts:<ns>`.
    public var groups: [String]
    public var uid: String?

    public init(name: String, groups: [String], uid: String? = nil) {
        self.name = name
        self.groups = groups
        self.uid = uid
    }

    /// The user kube-apiserver makes of a service account token: the name and the groups
    /// `system:serviceaccounts`, `system:serviceaccounts:<namespace>`, `system:authenticated`.
    public static func serviceAccount(namespace: String, name: String, uid: String? = nil) -> UserInfo {
        UserInfo(
            name: "system:serviceaccount:\(namespace):\(name)",
            groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", "system:authenticated"], uid: uid)
    }
}

/// What a request asks to do (`authorizer.Attributes`).
public struct RequestAttributes: Sendable, Hashable {
    /// Lower-case API verb: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`, or an HTTP verb in lower case for non-resource requests.
    public var verb: String
    public var isResourceRequest: Bool
    public var apiGroup: String
    public var apiVersion: String
    public var resource: String
    public var subresource: String
    public var name: String
    public var namespace: String
    /// The URL path, for non-resource requests (`/healthz`, `/apis`).
    public var path: String

    /// A resource request: `verb` on `resource` (and `subresource`) in `apiGroup` ("" is core).
    public static func resource(
        verb: String, apiGroup: String, apiVersion: String = "", resource: String, subresource: String = "",
        name: String = "", namespace: String = ""
    ) -> RequestAttributes {
        RequestAttributes(
            verb: verb, isResourceRequest: true, apiGroup: apiGroup, apiVersion: apiVersion, resource: resource,
            subresource: subresource, name: name, namespace: namespace, path: "")
    }

    /// A non-resource request (`get` on `/version`).
    public static func nonResource(verb: String, path: String) -> RequestAttributes {
        RequestAttributes(
            verb: verb, isResourceRequest: false, apiGroup: "", apiVersion: "", resource: "", subresource: "",
            name: "", namespace: "", path: path)
    }
}

/// The RBAC objects the authorizer reads, as stored (`rbac.authorization.k8s.io/v1` JSON).
public struct RBACPolicy: Sendable {
    public var roles: [JSONValue]
    public var clusterRoles: [JSONValue]
    public var roleBindings: [JSONValue]
    public var clusterRoleBindings: [JSONValue]

    public init(
        roles: [JSONValue] = [], clusterRoles: [JSONValue] = [], roleBindings: [JSONValue] = [],
        clusterRoleBindings: [JSONValue] = []
    ) {
        self.roles = roles
        self.clusterRoles = clusterRoles
        self.roleBindings = roleBindings
        self.clusterRoleBindings = clusterRoleBindings
    }

    /// Sorts mixed objects by `kind`; anything that is not an RBAC kind is ignored.
    public init(objects: [JSONValue]) {
        self.init()
        for object in objects {
            switch object["kind"]?.stringValue {
            case "Role": roles.append(object)
            case "ClusterRole": clusterRoles.append(object)
            case "RoleBinding": roleBindings.append(object)
            case "ClusterRoleBinding": clusterRoleBindings.append(object)
            default: break
            }
        }
    }
}

/// The answer for one request.
public struct AuthorizationDecision: Sendable, Hashable {
    public var allowed: Bool
    /// For `SubjectAccessReview.status.reason`: `RBAC: allowed by RoleBinding "b/ns" of Role
    /// "r" to ServiceAccount "sa/ns"`; on a denial, the RBAC evaluation errors (a binding to
    /// a missing role) or empty.
    public var reason: String

    public init(allowed: Bool, reason: String) {
        self.allowed = allowed
        self.reason = reason
    }
}

/// A `PolicyRule` read from JSON.
struct PolicyRule: Sendable, Hashable {
    var verbs: [String]
    var apiGroups: [String]
    var resources: [String]
    var resourceNames: [String]
    var nonResourceURLs: [String]

    init(_ json: JSONValue) {
        func strings(_ key: String) -> [String] { json[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        verbs = strings("verbs")
        apiGroups = strings("apiGroups")
        resources = strings("resources")
        resourceNames = strings("resourceNames")
        nonResourceURLs = strings("nonResourceURLs")
    }

    /// rbac.go `RuleAllows` with the rbacv1helpers matchers.
    func allows(_ request: RequestAttributes) -> Bool {
        guard verbs.contains(where: { $0 == "*" || $0 == request.verb }) else { return false }
        guard request.isResourceRequest else {
            return nonResourceURLs.contains { url in
                url == "*" || url == request.path
                    || (url.hasSuffix("*") && request.path.hasPrefix(String(url.dropLast())))
            }
        }
        guard apiGroups.contains(where: { $0 == "*" || $0 == request.apiGroup }) else { return false }
        let combined = request.subresource.isEmpty ? request.resource : request.resource + "/" + request.subresource
        let resourceMatches = resources.contains { resource in
            if resource == "*" || resource == combined { return true }
            // `*/subresource` matches that subresource of every resource; kube has no `pods/*`.
            return !request.subresource.isEmpty && resource == "*/" + request.subresource
        }
        guard resourceMatches else { return false }
        return resourceNames.isEmpty || resourceNames.contains(request.name)
    }
}
