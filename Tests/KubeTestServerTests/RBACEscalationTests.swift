import Foundation
import KubeCore
import Testing
@testable import KubeTestServer

/// RBAC escalation prevention as the recorded kube-apiserver v1.36 answers it (exchange 105),
/// over TLS: a ServiceAccount allowed to create Roles can grant only what it holds.
@Suite("RBAC escalation check", .timeLimit(.minutes(1)))
struct RBACEscalationTests {
    let rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/default"

    func role(_ name: String, _ rules: JSONValue) -> JSONValue {
        ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": ["name": .string(name)], "rules": rules]
    }

    func binding(_ name: String, role: String) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": .string(name)],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": .string(role)],
            "subjects": [["kind": "ServiceAccount", "name": "tester", "namespace": "default"]],
        ]
    }

    @Test func rolesMayGrantOnlyHeldPermissions() async throws {
        try await withServer { server, wire in
            #expect(try await wire.post("/api/v1/namespaces/default/serviceaccounts", ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "tester"]]).status == 201)
            #expect(try await wire.post(rbac + "/roles", role("tester-role", [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "get", "list"]]])).status == 201)
            #expect(try await wire.post(rbac + "/rolebindings", binding("tester-binding", role: "tester-role")).status == 201)
            #expect(try await wire.post(rbac + "/roles", role("role-writer", [["apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["create"]]])).status == 201)
            #expect(try await wire.post(rbac + "/rolebindings", binding("role-writer", role: "role-writer")).status == 201)

            let token = try await server.mintServiceAccountToken(namespace: "default", serviceAccount: "tester")
            let tester = try Wire(server: server, token: token)
            do {
                let refused = try await tester.post(rbac + "/roles", role("too-much", [["apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]]]))
                #expect(refused.status == 403)
                let status = try #require(refused.statusObject)
                #expect(status.reason == "Forbidden")
                #expect(status.message == """
                    roles.rbac.authorization.k8s.io "too-much" is forbidden: user "system:serviceaccount:default:tester" \
                    (groups=["system:serviceaccounts" "system:serviceaccounts:default" "system:authenticated"]) is attempting \
                    to grant RBAC permissions not currently held:
                    {APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}
                    """)
                #expect(status.details?.name == "too-much")
                #expect(status.details?.kind == "roles")
                #expect(status.details?.group == "rbac.authorization.k8s.io")
                let subset = try await tester.post(rbac + "/roles", role("subset", [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]]]))
                #expect(subset.status == 201, "\(subset.text)")
            } catch {
                await tester.shutdown()
                throw error
            }
            await tester.shutdown()
        }
    }
}
