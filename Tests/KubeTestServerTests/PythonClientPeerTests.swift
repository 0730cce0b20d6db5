import Foundation
import KubeCore
import Testing
@testable import KubeTestServer

/// The official Python client (`pip install kubernetes`, the venv `.ci/run` makes and
/// exports as `KUBE_PYTHON`) against the server: list, create, watch, patch, delete, with
/// the written kubeconfig and with its in-cluster loader on the written pod filesystem.
@Suite("Python client against KubeTestServer", .serialized,
       .enabled(if: Peers.shouldRun(Peers.python), "KUBE_PYTHON is not set (a python with `pip install kubernetes`; .ci/run sets it)"),
       .timeLimit(.minutes(5)))
struct PythonClientPeerTests {
    /// Lists, creates, watches (in a thread, from the created object's resourceVersion),
    /// patches (strategic merge for a dict body, JSON Patch for a list) and deletes, then
    /// prints what it saw as JSON.
    static let script = #"""
        import json, sys, threading, time
        from kubernetes import client, config, watch

        mode, source, namespace = sys.argv[1], sys.argv[2], sys.argv[3]
        if mode == "kubeconfig":
            config.load_kube_config(config_file=source)
        else:
            from kubernetes.config import incluster_config
            incluster_config.SERVICE_TOKEN_FILENAME = source + "/token"
            incluster_config.SERVICE_CERT_FILENAME = source + "/ca.crt"
            config.load_incluster_config()

        v1 = client.CoreV1Api()
        out = {"host": client.Configuration.get_default_copy().host}
        out["initial"] = sorted(cm.metadata.name for cm in v1.list_namespaced_config_map(namespace).items)
        created = v1.create_namespaced_config_map(namespace, client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="py-cm", labels={"app": "py"}), data={"a": "1"}))
        out["created"] = {"name": created.metadata.name, "uid": created.metadata.uid, "data": created.data}

        events = []
        def watcher():
            w = watch.Watch()
            for event in w.stream(v1.list_namespaced_config_map, namespace, label_selector="app=py",
                                  resource_version=created.metadata.resource_version, timeout_seconds=10):
                events.append([event["type"], event["object"].metadata.name, event["object"].data or {}])
                if len(events) == 3:
                    w.stop()
        thread = threading.Thread(target=watcher)
        thread.start()
        time.sleep(0.5)
        patched = v1.patch_namespaced_config_map("py-cm", namespace, {"data": {"b": "2"}})
        out["strategic"] = patched.data
        patched = v1.patch_namespaced_config_map("py-cm", namespace, [{"op": "add", "path": "/data/c", "value": "3"}])
        out["jsonpatch"] = patched.data
        v1.delete_namespaced_config_map("py-cm", namespace)
        thread.join()
        out["events"] = events
        try:
            v1.read_namespaced_config_map("py-cm", namespace)
            out["afterDelete"] = "found"
        except client.exceptions.ApiException as error:
            out["afterDelete"] = [error.status, json.loads(error.body)["reason"]]
        try:
            v1.list_namespaced_secret(namespace)
            out["secrets"] = "allowed"
        except client.exceptions.ApiException as error:
            out["secrets"] = [error.status, json.loads(error.body)["message"]]
        print(json.dumps(out))
        """#

    static func run(mode: String, source: String, environment extra: [String: String], directory: String) async throws -> (ProcessResult, JSONValue) {
        let script = directory + "/peer.py"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        var environment = ["HOME": directory, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        environment.merge(extra) { $1 }
        let result = try await Peers.run(try Peers.require(Peers.python, "the Python client (KUBE_PYTHON)"), [script, mode, source, "default"], environment: environment, directory: directory)
        let json = (try? JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))) ?? .null
        return (result, json)
    }

    static func checkCommon(_ json: JSONValue, _ result: ProcessResult) {
        #expect(json["initial"]?.arrayValue?.contains("kube-root-ca.crt") == true, "\(result)")
        #expect(json["created"]?["data"] == ["a": "1"], "\(result)")
        #expect(json["strategic"] == ["a": "1", "b": "2"], "\(result)")
        #expect(json["jsonpatch"] == ["a": "1", "b": "2", "c": "3"], "\(result)")
        #expect(json["events"] == [
            ["MODIFIED", "py-cm", ["a": "1", "b": "2"]],
            ["MODIFIED", "py-cm", ["a": "1", "b": "2", "c": "3"]],
            ["DELETED", "py-cm", ["a": "1", "b": "2", "c": "3"]],
        ], "\(result)")
        #expect(json["afterDelete"] == [404, "NotFound"], "\(result)")
    }

    @Test func withTheWrittenKubeconfig() async throws {
        let server = try await KubeTestServer.start()
        let directory = try Peers.temporaryDirectory("python-peer")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            try server.writeAdminKubeconfig(to: directory + "/kubeconfig")
            let (result, json) = try await Self.run(mode: "kubeconfig", source: directory + "/kubeconfig", environment: [:], directory: directory)
            #expect(result.status == 0, "\(result)")
            #expect(json["host"]?.stringValue == server.url)
            Self.checkCommon(json, result)
            #expect(json["secrets"] == "allowed", "\(result)")
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test func inClusterOnThePodFilesystem() async throws {
        let server = try await KubeTestServer.start()
        let directory = try Peers.temporaryDirectory("python-incluster")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            // A service account that may work with configmaps in `default`, and nothing else.
            let wire = try Wire(server: server, token: server.adminToken)
            #expect(try await wire.post("/api/v1/namespaces/default/serviceaccounts", ["metadata": ["name": "py"]]).status == 201)
            let role: JSONValue = ["metadata": ["name": "py"], "rules": [["verbs": ["*"], "apiGroups": [""], "resources": ["configmaps"]]]]
            #expect(try await wire.post("/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", role).status == 201)
            let binding: JSONValue = [
                "metadata": ["name": "py"], "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "py"],
                "subjects": [["kind": "ServiceAccount", "name": "py", "namespace": "default"]],
            ]
            #expect(try await wire.post("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", binding).status == 201)
            await wire.shutdown()

            let pod = try await server.writePodFilesystem(namespace: "default", serviceAccount: "py", directory: directory + "/serviceaccount")
            let (result, json) = try await Self.run(mode: "incluster", source: pod.directory, environment: pod.environment, directory: directory)
            #expect(result.status == 0, "\(result)")
            #expect(json["host"]?.stringValue == server.url)
            Self.checkCommon(json, result)
            #expect(json["secrets"] == [403, #"secrets is forbidden: User "system:serviceaccount:default:py" cannot list resource "secrets" in API group "" in the namespace "default""#], "\(result)")
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }
}
