import KubeCore

/// The bootstrap RBAC objects kube-apiserver creates at start
/// (`plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go`), the subset that lets
/// admins do everything and any authenticated user discover the API, read `/version`,
/// `/healthz`, `/livez`, `/readyz`, `/openapi/*`, and review itself
/// (SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview).
public enum RBACBootstrap {
    /// `cluster-admin`, `system:discovery`, `system:basic-user`, `system:public-info-viewer`,
    /// `system:service-account-issuer-discovery`, as stored `rbac.authorization.k8s.io/v1` objects.
    public static var clusterRoles: [JSONValue] {
        [
            clusterRole("cluster-admin", rules: [
                rule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]),
                rule(verbs: ["*"], nonResourceURLs: ["*"]),
            ]),
            clusterRole("system:discovery", rules: [
                rule(verbs: ["get"], nonResourceURLs: [
                    "/livez", "/readyz", "/healthz", "/version", "/version/", "/openapi", "/openapi/*", "/api",
                    "/api/*", "/apis", "/apis/*",
                ]),
            ]),
            clusterRole("system:basic-user", rules: [
                rule(verbs: ["create"], apiGroups: ["authorization.k8s.io"],
                     resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
                rule(verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"]),
            ]),
            clusterRole("system:public-info-viewer", rules: [
                rule(verbs: ["get"], nonResourceURLs: ["/livez", "/readyz", "/healthz", "/version", "/version/"]),
            ]),
            clusterRole("system:service-account-issuer-discovery", rules: [
                rule(verbs: ["get"], nonResourceURLs: ["/.well-known/openid-configuration", "/openid/v1/jwks"]),
            ]),
        ]
    }

    /// The bindings of ``clusterRoles``: `cluster-admin` to group `system:masters`; the
    /// discovery, basic-user and public-info roles to `system:authenticated` (public info
    /// also to `system:unauthenticated`); issuer discovery to `system:serviceaccounts`.
    public static var clusterRoleBindings: [JSONValue] {
        [
            clusterRoleBinding("cluster-admin", groups: ["system:masters"]),
            clusterRoleBinding("system:discovery", groups: ["system:authenticated"]),
            clusterRoleBinding("system:basic-user", groups: ["system:authenticated"]),
            clusterRoleBinding("system:public-info-viewer", groups: ["system:authenticated", "system:unauthenticated"]),
            clusterRoleBinding("system:service-account-issuer-discovery", groups: ["system:serviceaccounts"]),
        ]
    }

    /// ``clusterRoles`` and ``clusterRoleBindings`` as a policy.
    public static var policy: RBACPolicy {
        RBACPolicy(clusterRoles: clusterRoles, clusterRoleBindings: clusterRoleBindings)
    }

    static let metadataLabels: JSONValue = ["kubernetes.io/bootstrapping": "rbac-defaults"]
    static let metadataAnnotations: JSONValue = ["rbac.authorization.kubernetes.io/autoupdate": "true"]

    static func clusterRole(_ name: String, rules: [JSONValue]) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": ["name": .string(name), "labels": metadataLabels, "annotations": metadataAnnotations],
            "rules": .array(rules),
        ]
    }

    static func clusterRoleBinding(_ name: String, groups: [String]) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": ["name": .string(name), "labels": metadataLabels, "annotations": metadataAnnotations],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(name)],
            "subjects": .array(groups.map {
                ["apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": .string($0)]
            }),
        ]
    }

    static func rule(
        verbs: [String], apiGroups: [String] = [], resources: [String] = [], nonResourceURLs: [String] = []
    ) -> JSONValue {
        var json: [String: JSONValue] = ["verbs": .array(verbs.map(JSONValue.string))]
        if !apiGroups.isEmpty { json["apiGroups"] = .array(apiGroups.map(JSONValue.string)) }
        if !resources.isEmpty { json["resources"] = .array(resources.map(JSONValue.string)) }
        if !nonResourceURLs.isEmpty { json["nonResourceURLs"] = .array(nonResourceURLs.map(JSONValue.string)) }
        return .object(json)
    }
}
