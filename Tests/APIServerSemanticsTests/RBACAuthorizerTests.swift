import Foundation
import KubeCore
import Testing

@testable import APIServerSemantics

@Suite("RBAC authorizer", .timeLimit(.minutes(3)))
struct RBACAuthorizerTests {
    let sa = UserInfo.serviceAccount(namespace: "ns", name: "sa")

    let policy = RBACPolicy(objects: [
        json(#"{"kind":"Role","metadata":{"name":"pod-reader","namespace":"ns"},"rules":[{"apiGroups":[""],"resources":["pods","pods/log"],"verbs":["get","list","watch"]}]}"#),
        json(#"{"kind":"RoleBinding","metadata":{"name":"read-pods","namespace":"ns"},"roleRef":{"kind":"Role","name":"pod-reader"},"subjects":[{"kind":"ServiceAccount","name":"sa"}]}"#),
        json(#"{"kind":"ClusterRole","metadata":{"name":"status-writer"},"rules":[{"apiGroups":["*"],"resources":["*/status"],"verbs":["update","patch"]},{"apiGroups":[""],"resources":["pods/*"],"verbs":["get"]}]}"#),
        json(#"{"kind":"RoleBinding","metadata":{"name":"status","namespace":"ns"},"roleRef":{"kind":"ClusterRole","name":"status-writer"},"subjects":[{"kind":"Group","name":"system:serviceaccounts:ns"}]}"#),
        json(#"{"kind":"ClusterRole","metadata":{"name":"one-configmap"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"resourceNames":["app-config"],"verbs":["get","update"]}]}"#),
        json(#"{"kind":"ClusterRoleBinding","metadata":{"name":"cm"},"roleRef":{"kind":"ClusterRole","name":"one-configmap"},"subjects":[{"kind":"User","name":"alice"}]}"#),
        json(#"{"kind":"ClusterRole","metadata":{"name":"metrics"},"rules":[{"nonResourceURLs":["/metrics","/logs/*"],"verbs":["get"]}]}"#),
        json(#"{"kind":"ClusterRoleBinding","metadata":{"name":"metrics"},"roleRef":{"kind":"ClusterRole","name":"metrics"},"subjects":[{"kind":"ServiceAccount","name":"monitor","namespace":"mon"},{"kind":"ServiceAccount","name":"sa"}]}"#),
        json(#"{"kind":"RoleBinding","metadata":{"name":"broken","namespace":"ns"},"roleRef":{"kind":"ClusterRole","name":"missing"},"subjects":[{"kind":"User","name":"bob"}]}"#),
    ])

    var authorizer: RBACAuthorizer { RBACAuthorizer(policy: policy) }

    @Test func roleBindingAllowsWithReason() {
        let decision = authorizer.authorize(sa, .resource(verb: "list", apiGroup: "", resource: "pods", namespace: "ns"))
        #expect(decision.allowed)
        #expect(decision.reason == #"RBAC: allowed by RoleBinding "read-pods/ns" of Role "pod-reader" to ServiceAccount "sa/ns""#)
        #expect(authorizer.authorize(sa, .resource(verb: "get", apiGroup: "", resource: "pods", subresource: "log", name: "p", namespace: "ns")).allowed)
        #expect(!authorizer.authorize(sa, .resource(verb: "delete", apiGroup: "", resource: "pods", name: "p", namespace: "ns")).allowed)
        #expect(!authorizer.authorize(sa, .resource(verb: "list", apiGroup: "", resource: "pods", namespace: "other")).allowed)
        #expect(!authorizer.authorize(sa, .resource(verb: "list", apiGroup: "", resource: "pods")).allowed)
        #expect(!authorizer.authorize(UserInfo.serviceAccount(namespace: "other", name: "sa"),
                                      .resource(verb: "list", apiGroup: "", resource: "pods", namespace: "ns")).allowed)
    }

    @Test func subresourceWildcards() {
        let patchStatus = RequestAttributes.resource(
            verb: "patch", apiGroup: "apps", resource: "deployments", subresource: "status", name: "d", namespace: "ns")
        let decision = authorizer.authorize(sa, patchStatus)
        #expect(decision.allowed)
        #expect(decision.reason == #"RBAC: allowed by RoleBinding "status/ns" of ClusterRole "status-writer" to Group "system:serviceaccounts:ns""#)
        // The ClusterRole is bound by a RoleBinding: only in that namespace.
        #expect(!authorizer.authorize(sa, .resource(verb: "patch", apiGroup: "apps", resource: "deployments", subresource: "status", namespace: "x")).allowed)
        #expect(!authorizer.authorize(sa, .resource(verb: "patch", apiGroup: "apps", resource: "deployments", namespace: "ns")).allowed)
        // kube has no `pods/*`: it matches only the literal resource "pods/*".
        #expect(!authorizer.authorize(sa, .resource(verb: "get", apiGroup: "", resource: "pods", subresource: "exec", namespace: "ns")).allowed)
    }

    @Test func resourceNames() {
        let alice = UserInfo(name: "alice", groups: ["system:authenticated"])
        #expect(authorizer.authorize(alice, .resource(verb: "get", apiGroup: "", resource: "configmaps", name: "app-config", namespace: "a")).allowed)
        #expect(!authorizer.authorize(alice, .resource(verb: "get", apiGroup: "", resource: "configmaps", name: "other", namespace: "a")).allowed)
        #expect(!authorizer.authorize(alice, .resource(verb: "list", apiGroup: "", resource: "configmaps", namespace: "a")).allowed)
    }

    @Test func nonResourceURLsAndServiceAccountSubjects() {
        let monitor = UserInfo.serviceAccount(namespace: "mon", name: "monitor")
        #expect(authorizer.authorize(monitor, .nonResource(verb: "get", path: "/metrics")).allowed)
        #expect(authorizer.authorize(monitor, .nonResource(verb: "get", path: "/logs/kube-apiserver.log")).allowed)
        #expect(!authorizer.authorize(monitor, .nonResource(verb: "get", path: "/logs")).allowed)
        #expect(!authorizer.authorize(monitor, .nonResource(verb: "post", path: "/metrics")).allowed)
        // A ClusterRoleBinding's ServiceAccount subject without a namespace matches nobody.
        #expect(!authorizer.authorize(sa, .nonResource(verb: "get", path: "/metrics")).allowed)
    }

    @Test func missingRoleIsAnEvaluationError() {
        let bob = UserInfo(name: "bob", groups: ["system:authenticated"])
        let request = RequestAttributes.resource(verb: "get", apiGroup: "", resource: "pods", name: "p", namespace: "ns")
        let decision = authorizer.authorize(bob, request)
        #expect(!decision.allowed)
        #expect(decision.reason == #"RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found"#)
        let status = RBACAuthorizer.forbiddenStatus(user: bob, request: request, reason: decision.reason)
        #expect(status.message == #"pods "p" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "ns": RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found"#)
        let rules = authorizer.rules(for: bob, namespace: "ns")
        #expect(rules.incomplete)
        #expect(rules.evaluationError == #"clusterrole.rbac.authorization.k8s.io "missing" not found"#)
    }

    @Test func forbiddenMessages() {
        let list = RBACAuthorizer.forbiddenStatus(user: sa, request: .resource(verb: "list", apiGroup: "", resource: "pods", namespace: "ns"))
        #expect(list.message == #"pods is forbidden: User "system:serviceaccount:ns:sa" cannot list resource "pods" in API group "" in the namespace "ns""#)
        #expect(list.code == 403)
        #expect(list.reason == "Forbidden")
        #expect(list.details == StatusDetails(kind: "pods"))
        let nodes = RBACAuthorizer.forbiddenStatus(user: sa, request: .resource(verb: "list", apiGroup: "", resource: "nodes"))
        #expect(nodes.message == #"nodes is forbidden: User "system:serviceaccount:ns:sa" cannot list resource "nodes" in API group "" at the cluster scope"#)
        let log = RBACAuthorizer.forbiddenStatus(
            user: sa, request: .resource(verb: "get", apiGroup: "", resource: "pods", subresource: "log", name: "web-0", namespace: "ns"))
        #expect(log.message == #"pods "web-0" is forbidden: User "system:serviceaccount:ns:sa" cannot get resource "pods/log" in API group "" in the namespace "ns""#)
        #expect(log.details == StatusDetails(name: "web-0", kind: "pods"))
        let deployments = RBACAuthorizer.forbiddenStatus(
            user: sa, request: .resource(verb: "create", apiGroup: "apps", resource: "deployments", namespace: "ns"))
        #expect(deployments.message == #"deployments.apps is forbidden: User "system:serviceaccount:ns:sa" cannot create resource "deployments" in API group "apps" in the namespace "ns""#)
        #expect(deployments.details == StatusDetails(group: "apps", kind: "deployments"))
        let path = RBACAuthorizer.forbiddenStatus(user: sa, request: .nonResource(verb: "get", path: "/metrics"))
        #expect(path.message == #"forbidden: User "system:serviceaccount:ns:sa" cannot get path "/metrics""#)
        let escaped = RBACAuthorizer.forbiddenStatus(user: UserInfo(name: "<b>", groups: []), request: .nonResource(verb: "get", path: "/"))
        #expect(escaped.message == #"forbidden: User "&lt;b&gt;" cannot get path "/""#)
    }

    @Test func bootstrapPolicy() {
        var objects = RBACBootstrap.clusterRoles + RBACBootstrap.clusterRoleBindings
        objects += policy.roles + policy.roleBindings
        let bootstrap = RBACAuthorizer(policy: RBACPolicy(objects: objects))
        for path in ["/version", "/healthz", "/livez", "/readyz", "/api", "/apis/apps/v1", "/openapi/v3", "/openapi/v2"] {
            #expect(bootstrap.authorize(sa, .nonResource(verb: "get", path: path)).allowed, "\(path)")
        }
        for (group, resource) in [("authorization.k8s.io", "selfsubjectaccessreviews"),
                                  ("authorization.k8s.io", "selfsubjectrulesreviews"),
                                  ("authentication.k8s.io", "selfsubjectreviews")] {
            #expect(bootstrap.authorize(sa, .resource(verb: "create", apiGroup: group, resource: resource)).allowed)
        }
        #expect(!bootstrap.authorize(sa, .resource(verb: "list", apiGroup: "", resource: "secrets", namespace: "ns")).allowed)
        let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])
        #expect(bootstrap.authorize(anonymous, .nonResource(verb: "get", path: "/healthz")).allowed)
        #expect(!bootstrap.authorize(anonymous, .nonResource(verb: "get", path: "/apis")).allowed)

        let admin = UserInfo(name: "admin", groups: ["system:masters", "system:authenticated"])
        #expect(bootstrap.authorize(admin, .resource(verb: "delete", apiGroup: "", resource: "nodes", name: "n")) == AuthorizationDecision(allowed: true, reason: ""))
        let rbacOnly = RBACAuthorizer(policy: RBACPolicy(objects: objects), privilegedGroups: [])
        #expect(rbacOnly.authorize(admin, .nonResource(verb: "delete", path: "/anything")).reason
            == #"RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters""#)
        #expect(RBACBootstrap.clusterRoles[0]["metadata"]?["labels"] == ["kubernetes.io/bootstrapping": "rbac-defaults"])
    }

    @Test func rulesReview() {
        let rules = authorizer.rules(for: sa, namespace: "ns")
        #expect(!rules.incomplete)
        #expect(rules.nonResourceRules.isEmpty)
        #expect(rules.resourceRules == [
            json(#"{"verbs":["get","list","watch"],"apiGroups":[""],"resources":["pods","pods/log"]}"#),
            json(#"{"verbs":["update","patch"],"apiGroups":["*"],"resources":["*/status"]}"#),
            json(#"{"verbs":["get"],"apiGroups":[""],"resources":["pods/*"]}"#),
        ])
        #expect(rules.status["incomplete"] == false)
        let monitor = authorizer.rules(for: UserInfo.serviceAccount(namespace: "mon", name: "monitor"), namespace: "mon")
        #expect(monitor.nonResourceRules == [json(#"{"verbs":["get"],"nonResourceURLs":["/metrics","/logs/*"]}"#)])
    }

    @Test func aggregatedClusterRoles() {
        let aggregated = RBACAuthorizer(policy: RBACPolicy(objects: [
            json(#"{"kind":"ClusterRole","metadata":{"name":"monitoring"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"aggregate-to-monitoring":"true"}}]},"rules":[]}"#),
            json(#"{"kind":"ClusterRole","metadata":{"name":"pods-part","labels":{"aggregate-to-monitoring":"true"}},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["list"]}]}"#),
            json(#"{"kind":"ClusterRole","metadata":{"name":"unrelated"},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["list"]}]}"#),
            json(#"{"kind":"ClusterRoleBinding","metadata":{"name":"m"},"roleRef":{"kind":"ClusterRole","name":"monitoring"},"subjects":[{"kind":"User","name":"carol"}]}"#),
        ]))
        let carol = UserInfo(name: "carol", groups: [])
        #expect(aggregated.authorize(carol, .resource(verb: "list", apiGroup: "", resource: "pods")).allowed)
        #expect(!aggregated.authorize(carol, .resource(verb: "list", apiGroup: "", resource: "secrets")).allowed)
    }
}
