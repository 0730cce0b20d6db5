import Foundation
import KubeCore
import Testing
@testable import KubeTestServer

/// kubectl's imperative commands, which send built-in objects as protobuf
/// (`Content-Type: application/vnd.kubernetes.protobuf`): what kubectl prints and what the server stores.
@Suite("kubectl imperative commands (protobuf)", .serialized, .enabled(if: Peers.shouldRun(Peers.kubectl), "kubectl is not installed on this machine"), .timeLimit(.minutes(5)))
struct KubectlImperativeTests {
    typealias Session = KubectlPeerTests.Session

    func run(_ session: Session, _ arguments: [String], prints expected: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let result = try await session.kubectl(arguments)
        #expect(result.status == 0 && result.stdout == expected, "\(arguments.joined(separator: " ")): \(result)", sourceLocation: sourceLocation)
    }

    func get(_ session: Session, _ arguments: [String]) async throws -> JSONValue {
        let result = try await session.kubectl(["get"] + arguments + ["-o", "json"])
        return (try? JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))) ?? .null
    }

    @Test func createCommands() async throws {
        try await KubectlPeerTests.withSession { session in
            try await run(session, ["create", "namespace", "team"], prints: "namespace/team created\n")
            #expect(try await get(session, ["namespace", "team"])["status"]?["phase"] == "Active")

            try await run(session, ["create", "configmap", "settings", "-n", "team", "--from-literal=mode=fast", "--from-literal=level=3"],
                          prints: "configmap/settings created\n")
            #expect(try await get(session, ["configmap", "settings", "-n", "team"])["data"] == ["mode": "fast", "level": "3"])

            try await run(session, ["create", "secret", "generic", "creds", "-n", "team", "--from-literal=password=s3cr3t"],
                          prints: "secret/creds created\n")
            let secret = try await get(session, ["secret", "creds", "-n", "team"])
            #expect(secret["data"]?["password"] == .string(Data("s3cr3t".utf8).base64EncodedString()))
            #expect(secret["type"] == "Opaque")

            try await run(session, ["create", "serviceaccount", "robot", "-n", "team"], prints: "serviceaccount/robot created\n")
            #expect(try await get(session, ["serviceaccount", "robot", "-n", "team"])["metadata"]?["name"] == "robot")

            try await run(session, ["create", "deployment", "web", "-n", "team", "--image=nginx:1.27", "--replicas=2", "--port=80"],
                          prints: "deployment.apps/web created\n")
            let deployment = try await get(session, ["deployment", "web", "-n", "team"])
            #expect(deployment["spec"]?["replicas"] == 2)
            #expect(deployment["spec"]?["selector"]?["matchLabels"] == ["app": "web"])
            let container = deployment["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first
            #expect(container?["image"] == "nginx:1.27")
            #expect(container?["ports"]?.arrayValue?.first?["containerPort"] == 80)

            try await run(session, ["create", "job", "once", "-n", "team", "--image=busybox:1", "--", "echo", "hi"], prints: "job.batch/once created\n")
            let job = try await get(session, ["job", "once", "-n", "team"])
            #expect(job["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["command"] == ["echo", "hi"])
            #expect(job["spec"]?["template"]?["spec"]?["restartPolicy"] == "Never")

            try await run(session, ["create", "role", "reader", "-n", "team", "--verb=get,list", "--resource=pods,configmaps"],
                          prints: "role.rbac.authorization.k8s.io/reader created\n")
            let role = try await get(session, ["role", "reader", "-n", "team"])
            #expect(role["rules"]?.arrayValue?.first?["verbs"] == ["get", "list"])
            #expect(role["rules"]?.arrayValue?.first?["resources"] == ["pods", "configmaps"])

            try await run(session, ["create", "rolebinding", "robot-reads", "-n", "team", "--role=reader", "--serviceaccount=team:robot"],
                          prints: "rolebinding.rbac.authorization.k8s.io/robot-reads created\n")
            let binding = try await get(session, ["rolebinding", "robot-reads", "-n", "team"])
            #expect(binding["roleRef"] == ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"])
            #expect(binding["subjects"]?.arrayValue?.first == ["kind": "ServiceAccount", "name": "robot", "namespace": "team"])

            // Edits of what was created.
            try await run(session, ["scale", "deployment", "web", "-n", "team", "--replicas=5"], prints: "deployment.apps/web scaled\n")
            #expect(try await get(session, ["deployment", "web", "-n", "team"])["spec"]?["replicas"] == 5)
            try await run(session, ["label", "configmap", "settings", "-n", "team", "tier=backend"], prints: "configmap/settings labeled\n")
            try await run(session, ["annotate", "configmap", "settings", "-n", "team", "owner=ops"], prints: "configmap/settings annotated\n")
            let settings = try await get(session, ["configmap", "settings", "-n", "team"])
            #expect(settings["metadata"]?["labels"]?["tier"] == "backend")
            #expect(settings["metadata"]?["annotations"]?["owner"] == "ops")
            try await run(session, ["set", "image", "deployment/web", "-n", "team", "nginx=nginx:1.28"],
                          prints: "deployment.apps/web image updated\n")
            let image = try await session.kubectl(["get", "deployment", "web", "-n", "team", "-o", "jsonpath={.spec.template.spec.containers[0].image}"])
            #expect(image.stdout == "nginx:1.28", "\(image)")

            // A second create of the same name: kubectl prints the server's AlreadyExists.
            let again = try await session.kubectl(["create", "namespace", "team"])
            #expect(again.status != 0)
            #expect(again.stderr.contains("namespaces \"team\" already exists"), "\(again)")
        }
    }
}
