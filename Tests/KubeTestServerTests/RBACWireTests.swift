import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// RBAC over the wire: stored Roles/ClusterRoles/bindings decide every request.
@Suite("RBAC enforcement and access reviews", .timeLimit(.minutes(3)))
struct RBACWireTests {
    static let rbac = "/apis/rbac.authorization.k8s.io/v1"

    /// Creates service account `name` in `default` and returns a token for it.
    static func serviceAccount(_ name: String, server: KubeTestServer, wire: Wire) async throws -> String {
        let account: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": .string(name)]]
        #expect(try await wire.post("/api/v1/namespaces/default/serviceaccounts", account).status == 201)
        return try await server.mintServiceAccountToken(namespace: "default", serviceAccount: name)
    }

    static func rule(_ verbs: [String], _ resources: [String], groups: [String] = [""], names: [String] = []) -> JSONValue {
        var rule: JSONValue = [
            "verbs": .array(verbs.map(JSONValue.string)), "apiGroups": .array(groups.map(JSONValue.string)),
            "resources": .array(resources.map(JSONValue.string)),
        ]
        if !names.isEmpty { rule["resourceNames"] = .array(names.map(JSONValue.string)) }
        return rule
    }

    static func bind(_ kind: String, _ name: String, role: String, roleKind: String, account: String, wire: Wire) async throws {
        var metadata: JSONValue = ["name": .string(name)]
        if kind == "RoleBinding" { metadata["namespace"] = "default" }
        let binding: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": .string(kind), "metadata": metadata,
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": .string(roleKind), "name": .string(role)],
            "subjects": [["kind": "ServiceAccount", "name": .string(account), "namespace": "default"]],
        ]
        let path = kind == "RoleBinding" ? "\(rbac)/namespaces/default/rolebindings" : "\(rbac)/clusterrolebindings"
        let response = try await wire.post(path, binding)
        #expect(response.status == 201, "\(response.text)")
    }

    static func role(_ kind: String, _ name: String, rules: [JSONValue], wire: Wire) async throws {
        var metadata: JSONValue = ["name": .string(name)]
        if kind == "Role" { metadata["namespace"] = "default" }
        let role: JSONValue = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": .string(kind), "metadata": metadata, "rules": .array(rules)]
        let path = kind == "Role" ? "\(rbac)/namespaces/default/roles" : "\(rbac)/clusterroles"
        let response = try await wire.post(path, role)
        #expect(response.status == 201, "\(response.text)")
    }

    @Test func roleAllowsListButNotDelete() async throws {
        try await withServer { server, wire in
            let token = try await Self.serviceAccount("reader", server: server, wire: wire)
            // Before any binding: denied with kube's message.
            let before = try await wire.request(.GET, "/api/v1/namespaces/default/configmaps", token: token)
            #expect(before.status == 403)
            try await Self.role("Role", "cm-reader", rules: [Self.rule(["get", "list"], ["configmaps"])], wire: wire)
            try await Self.bind("RoleBinding", "cm-reader", role: "cm-reader", roleKind: "Role", account: "reader", wire: wire)

            let list = try await wire.request(.GET, "/api/v1/namespaces/default/configmaps", token: token)
            #expect(list.status == 200)
            #expect(list.json["items"]?.arrayValue?.contains { $0["metadata"]?["name"] == "kube-root-ca.crt" } == true)
            #expect(try await wire.request(.GET, "/api/v1/namespaces/default/configmaps/kube-root-ca.crt", token: token).status == 200)

            let delete = try await wire.request(.DELETE, "/api/v1/namespaces/default/configmaps/kube-root-ca.crt", token: token)
            #expect(delete.status == 403)
            #expect(delete.statusObject?.reason == "Forbidden")
            #expect(delete.statusObject?.message == #"configmaps "kube-root-ca.crt" is forbidden: User "system:serviceaccount:default:reader" cannot delete resource "configmaps" in API group "" in the namespace "default""#)
            #expect(delete.statusObject?.details?.name == "kube-root-ca.crt")
            #expect(delete.statusObject?.details?.kind == "configmaps")

            // A Role is namespaced: nothing in kube-system, nothing else in default.
            let other = try await wire.request(.GET, "/api/v1/namespaces/kube-system/configmaps", token: token)
            #expect(other.statusObject?.message == #"configmaps is forbidden: User "system:serviceaccount:default:reader" cannot list resource "configmaps" in API group "" in the namespace "kube-system""#)
            #expect(try await wire.request(.GET, "/api/v1/namespaces/default/secrets", token: token).status == 403)
            // Watch is its own verb.
            #expect(try await wire.request(.GET, "/api/v1/namespaces/default/configmaps?watch=true", token: token).status == 403)

            // Deleting the binding takes the permission away at once.
            #expect(try await wire.delete("\(Self.rbac)/namespaces/default/rolebindings/cm-reader").status == 200)
            #expect(try await wire.request(.GET, "/api/v1/namespaces/default/configmaps", token: token).status == 403)
        }
    }

    @Test func clusterRoleBindingWorksClusterWide() async throws {
        try await withServer { server, wire in
            let token = try await Self.serviceAccount("viewer", server: server, wire: wire)
            try await Self.role("ClusterRole", "pod-viewer", rules: [Self.rule(["get", "list", "watch"], ["pods", "namespaces"])], wire: wire)
            try await Self.bind("ClusterRoleBinding", "pod-viewer", role: "pod-viewer", roleKind: "ClusterRole", account: "viewer", wire: wire)
            #expect(try await wire.request(.GET, "/api/v1/namespaces/kube-system/pods", token: token).status == 200)
            #expect(try await wire.request(.GET, "/api/v1/pods", token: token).status == 200)
            #expect(try await wire.request(.GET, "/api/v1/namespaces", token: token).status == 200)
            let create = try await wire.request(.POST, "/api/v1/namespaces", body: JSONWriter.data(["metadata": ["name": "x"]]), token: token)
            #expect(create.statusObject?.message == #"namespaces is forbidden: User "system:serviceaccount:default:viewer" cannot create resource "namespaces" in API group "" at the cluster scope"#)

            // The same ClusterRole through a RoleBinding applies in that namespace only.
            let token2 = try await Self.serviceAccount("local", server: server, wire: wire)
            try await Self.bind("RoleBinding", "local-pods", role: "pod-viewer", roleKind: "ClusterRole", account: "local", wire: wire)
            #expect(try await wire.request(.GET, "/api/v1/namespaces/default/pods", token: token2).status == 200)
            #expect(try await wire.request(.GET, "/api/v1/namespaces/kube-system/pods", token: token2).status == 403)
        }
    }

    @Test func resourceNamesSubresourcesAndNonResourceURLs() async throws {
        try await withServer { server, wire in
            let token = try await Self.serviceAccount("narrow", server: server, wire: wire)
            for name in ["allowed", "other"] {
                #expect(try await wire.post("/api/v1/namespaces/default/configmaps", configMap(name)).status == 201)
            }
            let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"], "spec": ["containers": [["name": "c", "image": "busybox"]]]]
            #expect(try await wire.post("/api/v1/namespaces/default/pods", pod).status == 201)
            let deployment = Self.deployment("web")
            #expect(try await wire.post("/apis/apps/v1/namespaces/default/deployments", deployment).status == 201)

            try await Self.role("Role", "narrow", rules: [
                Self.rule(["get", "update"], ["configmaps"], names: ["allowed"]),
                Self.rule(["get"], ["pods/log"]),
                Self.rule(["get", "patch"], ["*/status"], groups: ["*"]),
            ], wire: wire)
            try await Self.bind("RoleBinding", "narrow", role: "narrow", roleKind: "Role", account: "narrow", wire: wire)
            try await Self.role("ClusterRole", "metrics-reader", rules: [["verbs": ["get"], "nonResourceURLs": ["/metrics", "/debug/*"]]], wire: wire)
            try await Self.bind("ClusterRoleBinding", "metrics-reader", role: "metrics-reader", roleKind: "ClusterRole", account: "narrow", wire: wire)

            #expect(try await wire.request(.GET, "/api/v1/namespaces/default/configmaps/allowed", token: token).status == 200)
            let other = try await wire.request(.GET, "/api/v1/namespaces/default/configmaps/other", token: token)
            #expect(other.statusObject?.message == #"configmaps "other" is forbidden: User "system:serviceaccount:default:narrow" cannot get resource "configmaps" in API group "" in the namespace "default""#)
            // resourceNames never allow list.
            #expect(try await wire.request(.GET, "/api/v1/namespaces/default/configmaps", token: token).status == 403)

            // pods/log but not pods: the log request passes authorization (the pod is not running: kubelet's 400).
            let log = try await wire.request(.GET, "/api/v1/namespaces/default/pods/p/log", token: token)
            #expect(log.status == 400)
            #expect(log.statusObject?.message == #"container "c" in pod "p" is waiting to start: ContainerCreating"#)
            let podGet = try await wire.request(.GET, "/api/v1/namespaces/default/pods/p", token: token)
            #expect(podGet.statusObject?.message == #"pods "p" is forbidden: User "system:serviceaccount:default:narrow" cannot get resource "pods" in API group "" in the namespace "default""#)

            // */status: the status subresource of any resource, not the resource itself.
            let statusPatch = try await wire.request(
                .PATCH, "/apis/apps/v1/namespaces/default/deployments/web/status",
                body: JSONWriter.data(["status": ["replicas": 2]]), contentType: "application/merge-patch+json", token: token)
            #expect(statusPatch.status == 200, "\(statusPatch.text)")
            #expect(statusPatch.json["status"]?["replicas"] == 2)
            let specPatch = try await wire.request(
                .PATCH, "/apis/apps/v1/namespaces/default/deployments/web",
                body: JSONWriter.data(["spec": ["replicas": 2]]), contentType: "application/merge-patch+json", token: token)
            #expect(specPatch.statusObject?.message == #"deployments.apps "web" is forbidden: User "system:serviceaccount:default:narrow" cannot patch resource "deployments" in API group "apps" in the namespace "default""#)

            // nonResourceURLs: /metrics is authorized (and not served: 404), /debug/* by prefix, /logs denied.
            #expect(try await wire.request(.GET, "/metrics", token: token).status == 404)
            #expect(try await wire.request(.GET, "/debug/pprof", token: token).status == 404)
            let logs = try await wire.request(.GET, "/logs", token: token)
            #expect(logs.status == 403)
            #expect(logs.statusObject?.message == #"forbidden: User "system:serviceaccount:default:narrow" cannot get path "/logs""#)
            // Bootstrap policy: discovery for everyone authenticated, /healthz even for anonymous.
            #expect(try await wire.request(.GET, "/apis", token: token).status == 200)
            let anonymous = try Wire(server: server, token: nil)
            #expect(try await anonymous.get("/healthz").status == 200)
            let anonymousAPIs = try await anonymous.get("/apis")
            #expect(anonymousAPIs.statusObject?.message == #"forbidden: User "system:anonymous" cannot get path "/apis""#)
            await anonymous.shutdown()
        }
    }

    @Test func accessReviewsAreAnsweredByTheEvaluator() async throws {
        try await withServer { server, wire in
            let token = try await Self.serviceAccount("reader", server: server, wire: wire)
            try await Self.role("Role", "cm-reader", rules: [Self.rule(["get", "list"], ["configmaps"])], wire: wire)
            try await Self.bind("RoleBinding", "cm-reader-binding", role: "cm-reader", roleKind: "Role", account: "reader", wire: wire)

            func ssar(_ verb: String, _ resource: String, namespace: String = "default") async throws -> JSONValue {
                let review: JSONValue = [
                    "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                    "spec": ["resourceAttributes": ["verb": .string(verb), "resource": .string(resource), "namespace": .string(namespace)]],
                ]
                let response = try await wire.request(
                    .POST, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body: JSONWriter.data(review), token: token)
                #expect(response.status == 201)
                return response.json["status"] ?? .null
            }
            let allowed = try await ssar("list", "configmaps")
            #expect(allowed["allowed"] == true)
            #expect(allowed["reason"] == #"RBAC: allowed by RoleBinding "cm-reader-binding/default" of Role "cm-reader" to ServiceAccount "reader/default""#)
            #expect(try await ssar("delete", "configmaps")["allowed"] == false)
            #expect(try await ssar("list", "configmaps", namespace: "kube-system")["allowed"] == false)

            // SubjectAccessReview (admin asking about the service account) gives the same answers.
            func sar(_ verb: String, user: String, groups: [String]) async throws -> JSONValue {
                let review: JSONValue = [
                    "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                    "spec": ["user": .string(user), "groups": .array(groups.map(JSONValue.string)),
                             "resourceAttributes": ["verb": .string(verb), "resource": "configmaps", "namespace": "default"]],
                ]
                return try await wire.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", review).json["status"] ?? .null
            }
            let saGroups = ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"]
            #expect(try await sar("get", user: "system:serviceaccount:default:reader", groups: saGroups)["allowed"] == true)
            #expect(try await sar("delete", user: "system:serviceaccount:default:reader", groups: saGroups)["allowed"] == false)
            #expect(try await sar("delete", user: "someone", groups: ["system:masters"])["allowed"] == true)
            // Non-service-account users may not create SubjectAccessReviews.
            let denied = try await wire.request(
                .POST, "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                body: JSONWriter.data(["spec": ["user": "x", "resourceAttributes": ["verb": "get", "resource": "pods"]]]), token: token)
            #expect(denied.status == 403)

            // SelfSubjectRulesReview lists the Role's rule and the bootstrap ones.
            let rulesReview: JSONValue = ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": ["namespace": "default"]]
            let rules = try await wire.request(
                .POST, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", body: JSONWriter.data(rulesReview), token: token)
            #expect(rules.status == 201)
            let resourceRules = rules.json["status"]?["resourceRules"]?.arrayValue ?? []
            #expect(resourceRules.contains { $0["resources"] == ["configmaps"] && $0["verbs"] == ["get", "list"] })
            #expect(resourceRules.contains { $0["resources"] == ["selfsubjectaccessreviews", "selfsubjectrulesreviews"] })
            #expect(!resourceRules.contains { $0["resources"] == ["*"] })
            #expect(rules.json["status"]?["nonResourceRules"]?.arrayValue?.contains { $0["nonResourceURLs"]?.arrayValue?.contains("/apis/*") == true } == true)
            #expect(rules.json["status"]?["incomplete"] == false)
        }
    }

    @Test func bootstrapPolicyIsStoredAndReadable() async throws {
        try await withServer { _, wire in
            let roles = try await wire.get("\(Self.rbac)/clusterroles")
            let names = roles.json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
            #expect(Set(["cluster-admin", "system:discovery", "system:basic-user", "system:public-info-viewer"]).isSubset(of: Set(names)))
            let binding = try await wire.get("\(Self.rbac)/clusterrolebindings/cluster-admin")
            #expect(binding.json["subjects"] == [["apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"]])
        }
    }

    static func deployment(_ name: String) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
            "spec": [
                "replicas": 1, "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [["name": "app", "image": "app:1"], ["name": "sidecar", "image": "sidecar:1"]]],
                ],
            ],
        ]
    }
}
