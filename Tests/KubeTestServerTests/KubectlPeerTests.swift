import Foundation
import KubeCore
import Testing
@testable import KubeTestServer

/// The preinstalled `kubectl` against the server, with the admin kubeconfig the server writes.
/// What kubectl prints is asserted, not only its exit code.
@Suite("kubectl against KubeTestServer", .serialized, .enabled(if: Peers.shouldRun(Peers.kubectl), "kubectl is not installed on this machine"), .timeLimit(.minutes(5)))
struct KubectlPeerTests {
    /// A server with `/openapi/v3`, a kubeconfig, a private HOME (kubectl's discovery cache) and a scratch directory.
    final class Session: Sendable {
        let server: KubeTestServer
        let directory: String
        let kubeconfig: String

        init() async throws {
            var configuration = KubeTestServer.Configuration()
            configuration.openAPIDirectory = Peers.openAPIDirectory
            server = try await KubeTestServer.start(configuration)
            directory = try Peers.temporaryDirectory("kubectl-peer")
            kubeconfig = directory + "/admin.kubeconfig"
            try server.writeAdminKubeconfig(to: kubeconfig)
        }

        var environment: [String: String] {
            ["HOME": directory, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "KUBECONFIG": kubeconfig]
        }

        /// `kubectl ARGS` with the admin kubeconfig (or `kubeconfig`).
        func kubectl(_ arguments: [String], kubeconfig: String? = nil) async throws -> ProcessResult {
            var environment = self.environment
            if let kubeconfig { environment["KUBECONFIG"] = kubeconfig }
            return try await Peers.run(try Peers.require(Peers.kubectl, "kubectl"), arguments, environment: environment, directory: directory)
        }

        func write(_ name: String, _ text: String) throws -> String {
            let path = directory + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        /// A kubeconfig for a service account token, same cluster as the admin's.
        func kubeconfig(token: String) throws -> String {
            let ca = Data(server.caCertificatePEM.utf8).base64EncodedString()
            return try write("sa-\(UUID().uuidString.prefix(6)).kubeconfig", """
                apiVersion: v1
                kind: Config
                clusters:
                - name: test
                  cluster:
                    server: \(server.url)
                    certificate-authority-data: \(ca)
                contexts:
                - name: sa
                  context: {cluster: test, user: sa, namespace: default}
                current-context: sa
                users:
                - name: sa
                  user:
                    token: \(token)

                """)
        }

        func close() async {
            await server.shutdown()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static func withSession(_ body: (Session) async throws -> Void) async throws {
        let session = try await Session()
        do {
            try await body(session)
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }

    /// Rows of kubectl's table output, split on runs of spaces.
    static func rows(_ output: String) -> [[String]] {
        output.split(separator: "\n").map { line in
            line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
    }

    @Test func getTableAndJSON() async throws {
        try await Self.withSession { session in
            let table = try await session.kubectl(["get", "configmaps", "-n", "default"])
            #expect(table.status == 0, "\(table)")
            let rows = Self.rows(table.stdout)
            #expect(rows.first == ["NAME", "DATA", "AGE"], "\(table)")
            #expect(rows.dropFirst().first?.prefix(2) == ["kube-root-ca.crt", "1"], "\(table)")

            let namespaces = try await session.kubectl(["get", "namespaces"])
            #expect(Self.rows(namespaces.stdout).first == ["NAME", "STATUS", "AGE"], "\(namespaces)")
            #expect(Self.rows(namespaces.stdout).contains { $0.prefix(2) == ["kube-system", "Active"] })

            let json = try await session.kubectl(["get", "configmap", "kube-root-ca.crt", "-o", "json"])
            #expect(json.status == 0, "\(json)")
            let object = try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))
            #expect(object["kind"] == "ConfigMap")
            #expect(object["data"]?["ca.crt"]?.stringValue == session.server.caCertificatePEM)

            let services = try await session.kubectl(["get", "services", "-o", "wide"])
            #expect(Self.rows(services.stdout).first == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"], "\(services)")
            #expect(Self.rows(services.stdout).dropFirst().first?.prefix(5) == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"])

            let missing = try await session.kubectl(["get", "configmap", "nope"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains(#"Error from server (NotFound): configmaps "nope" not found"#), "\(missing)")
        }
    }

    @Test func createApplyPatchDelete() async throws {
        try await Self.withSession { session in
            let file = try session.write("cm.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: from-file
                data:
                  a: "1"
                """)
            let created = try await session.kubectl(["create", "-f", file])
            #expect(created.stdout == "configmap/from-file created\n", "\(created)")
            let again = try await session.kubectl(["create", "-f", file])
            #expect(again.status == 1)
            #expect(again.stderr.contains(#"Error from server (AlreadyExists): error when creating "\#(file)": configmaps "from-file" already exists"#), "\(again)")

            let deployment = try session.write("deploy.yaml", """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web
                spec:
                  replicas: 2
                  selector:
                    matchLabels: {app: web}
                  template:
                    metadata:
                      labels: {app: web}
                    spec:
                      containers:
                      - {name: app, image: "app:1"}
                      - {name: sidecar, image: "sidecar:1"}
                """)
            let applied = try await session.kubectl(["apply", "--server-side", "-f", deployment])
            #expect(applied.stdout == "deployment.apps/web serverside-applied\n", "\(applied)")
            let reapplied = try await session.kubectl(["apply", "--server-side", "-f", deployment])
            #expect(reapplied.stdout == "deployment.apps/web serverside-applied\n", "\(reapplied)")
            let fetched = try JSONDecoder().decode(
                JSONValue.self, from: Data(try await session.kubectl(["get", "deployment", "web", "-o", "json", "--show-managed-fields"]).stdout.utf8))
            #expect(fetched["metadata"]?["managedFields"]?.arrayValue?.contains { $0["manager"] == "kubectl" && $0["operation"] == "Apply" } == true)
            let deployments = try await session.kubectl(["get", "deployments"])
            #expect(Self.rows(deployments.stdout).first == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], "\(deployments)")

            // Strategic merge (kubectl's default): containers merge by name.
            let smp = try await session.kubectl(["patch", "deployment", "web", "-p", #"{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"app:2"}]}}}}"#])
            #expect(smp.stdout == "deployment.apps/web patched\n", "\(smp)")
            let images = try await session.kubectl(["get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[*].image}"])
            #expect(images.stdout == "app:2 sidecar:1", "\(images)")

            let merge = try await session.kubectl(["patch", "configmap", "from-file", "--type", "merge", "-p", #"{"data":{"b":"2"}}"#])
            #expect(merge.stdout == "configmap/from-file patched\n", "\(merge)")
            let json = try await session.kubectl(["patch", "configmap", "from-file", "--type", "json", "-p", #"[{"op":"remove","path":"/data/a"}]"#])
            #expect(json.stdout == "configmap/from-file patched\n", "\(json)")
            let data = try await session.kubectl(["get", "configmap", "from-file", "-o", "jsonpath={.data}"])
            #expect(data.stdout == #"{"b":"2"}"#, "\(data)")
            let noop = try await session.kubectl(["patch", "configmap", "from-file", "--type", "merge", "-p", #"{"data":{"b":"2"}}"#])
            #expect(noop.stdout == "configmap/from-file patched (no change)\n", "\(noop)")

            // A server-side apply that conflicts, then with --force-conflicts.
            let other = try session.write("replicas.yaml", """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec: {replicas: 5}
                """)
            let conflict = try await session.kubectl(["apply", "--server-side", "--field-manager", "other", "-f", other])
            #expect(conflict.status == 1)
            #expect(conflict.stderr.contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"), "\(conflict)")
            let forced = try await session.kubectl(["apply", "--server-side", "--field-manager", "other", "--force-conflicts", "-f", other])
            #expect(forced.stdout == "deployment.apps/web serverside-applied\n", "\(forced)")

            let deleted = try await session.kubectl(["delete", "configmap", "from-file"])
            #expect(deleted.stdout == "configmap \"from-file\" deleted\n", "\(deleted)")
            let gone = try await session.kubectl(["get", "configmap", "from-file"])
            #expect(gone.stderr.contains(#"configmaps "from-file" not found"#))
        }
    }

    /// kubectl asks for gzip (Go's transport does unless compression is disabled): a list above
    /// 128 KiB comes back compressed and kubectl prints every item, as JSON and as a table.
    @Test func largeListArrivesGzippedAndPrints() async throws {
        try await Self.withSession { session in
            let wire = try Wire(server: session.server, token: session.server.adminToken)
            for index in 0..<40 {
                let text = (0..<120).map { "line \($0) of item \(index): \(UUID().uuidString)" }.joined(separator: "\n")
                #expect(try await wire.post("/api/v1/namespaces/default/configmaps", configMap("big-\(index)", data: ["text": text])).status == 201)
            }
            // The server compresses this list for a client that asks.
            let gzipped = try await wire.get("/api/v1/namespaces/default/configmaps", headers: [("Accept-Encoding", "gzip")])
            #expect(gzipped.headers["Content-Encoding"] == ["gzip"])
            await wire.shutdown()

            let json = try await session.kubectl(["get", "configmaps", "-o", "json"])
            #expect(json.status == 0, "\(json.stderr)")
            let list = try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))
            let names = list["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
            #expect(names.count == 41)
            #expect(list["items"]?.arrayValue?.first { $0["metadata"]?["name"] == "big-7" }?["data"]?["text"]?.stringValue?.hasPrefix("line 0 of item 7: ") == true)
            let table = try await session.kubectl(["get", "configmaps", "--chunk-size", "0"])
            #expect(table.status == 0, "\(table.stderr)")
            #expect(Self.rows(table.stdout).filter { $0.first?.hasPrefix("big-") == true }.count == 40)
        }
    }

    @Test func watchPrintsRowsAsChangesHappen() async throws {
        try await Self.withSession { session in
            let watch = try ChildProcess(
                try Peers.require(Peers.kubectl, "kubectl"), ["get", "configmaps", "-w"], environment: session.environment, directory: session.directory)
            let listed = await watch.waitForOutput { $0.contains("kube-root-ca.crt") }
            #expect(listed, "stdout: \(watch.stdout) stderr: \(watch.stderr)")
            let wire = try Wire(server: session.server, token: session.server.adminToken)
            #expect(try await wire.post("/api/v1/namespaces/default/configmaps", configMap("watched", data: ["a": "1", "b": "2"])).status == 201)
            let added = await watch.waitForOutput { output in Self.rows(output).contains { $0.prefix(2) == ["watched", "2"] } }
            #expect(added, "stdout: \(watch.stdout) stderr: \(watch.stderr)")
            #expect(try await wire.put("/api/v1/namespaces/default/configmaps/watched", configMap("watched", data: ["a": "1"])).status == 200)
            let modified = await watch.waitForOutput { output in Self.rows(output).contains { $0.prefix(2) == ["watched", "1"] } }
            #expect(modified, "stdout: \(watch.stdout)")
            await wire.shutdown()
            watch.terminate()
            let result = await watch.wait(timeout: .seconds(10))
            let rows = Self.rows(result.stdout)
            #expect(rows.first == ["NAME", "DATA", "AGE"], "\(result)")
            #expect(rows.filter { $0.first == "NAME" }.count == 1, "the header is printed once: \(result)")
        }
    }

    @Test func authWhoamiCanIAndCreateToken() async throws {
        try await Self.withSession { session in
            let whoami = try await session.kubectl(["auth", "whoami"])
            #expect(whoami.status == 0, "\(whoami)")
            let rows = Self.rows(whoami.stdout)
            #expect(rows.first == ["ATTRIBUTE", "VALUE"], "\(whoami)")
            #expect(rows.contains(["Username", "admin"]), "\(whoami)")
            #expect(whoami.stdout.contains("[system:masters system:authenticated]"), "\(whoami)")

            let adminCan = try await session.kubectl(["auth", "can-i", "delete", "pods", "--all-namespaces"])
            #expect(adminCan.stdout == "yes\n", "\(adminCan)")

            // A restricted service account: a Role allowing get/list on configmaps.
            let wire = try Wire(server: session.server, token: session.server.adminToken)
            #expect(try await wire.post("/api/v1/namespaces/default/serviceaccounts", ["metadata": ["name": "reader"]]).status == 201)
            let role: JSONValue = ["metadata": ["name": "reader"], "rules": [["verbs": ["get", "list"], "apiGroups": [""], "resources": ["configmaps"]]]]
            #expect(try await wire.post("/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", role).status == 201)
            let binding: JSONValue = [
                "metadata": ["name": "reader"], "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"],
                "subjects": [["kind": "ServiceAccount", "name": "reader", "namespace": "default"]],
            ]
            #expect(try await wire.post("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", binding).status == 201)
            await wire.shutdown()

            // kubectl create token (TokenRequest, protobuf) mints the token the restricted kubeconfig uses.
            let minted = try await session.kubectl(["create", "token", "reader", "--duration", "1h"])
            #expect(minted.status == 0, "\(minted)")
            let token = minted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.split(separator: ".").count == 3)
            let restricted = try session.kubeconfig(token: token)

            let saWhoami = try await session.kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], kubeconfig: restricted)
            #expect(saWhoami.stdout == "system:serviceaccount:default:reader", "\(saWhoami)")
            let canList = try await session.kubectl(["auth", "can-i", "list", "configmaps"], kubeconfig: restricted)
            #expect(canList.stdout == "yes\n", "\(canList)")
            #expect(canList.status == 0)
            let cannotDelete = try await session.kubectl(["auth", "can-i", "delete", "configmaps"], kubeconfig: restricted)
            #expect(cannotDelete.stdout == "no\n", "\(cannotDelete)")
            #expect(cannotDelete.status == 1)
            let cannotElsewhere = try await session.kubectl(["auth", "can-i", "list", "configmaps", "-n", "kube-system"], kubeconfig: restricted)
            #expect(cannotElsewhere.stdout == "no\n", "\(cannotElsewhere)")
            // Admin impersonation-free check of another subject is what SubjectAccessReview is for; here
            // the restricted user's denied request shows kube's message through kubectl.
            let denied = try await session.kubectl(["delete", "configmap", "kube-root-ca.crt"], kubeconfig: restricted)
            #expect(denied.stderr.contains(#"Error from server (Forbidden): configmaps "kube-root-ca.crt" is forbidden: User "system:serviceaccount:default:reader" cannot delete resource "configmaps" in API group "" in the namespace "default""#), "\(denied)")
            let list = try await session.kubectl(["get", "configmaps"], kubeconfig: restricted)
            #expect(Self.rows(list.stdout).first == ["NAME", "DATA", "AGE"], "\(list)")
            let rules = try await session.kubectl(["auth", "can-i", "--list"], kubeconfig: restricted)
            #expect(rules.stdout.split(separator: "\n").contains { $0.hasPrefix("configmaps ") && $0.hasSuffix("[get list]") }, "\(rules)")
        }
    }

    /// kubectl asks for aggregated discovery first; since the server answers it, kubectl reads
    /// every group from `/api` and `/apis` and fetches no per-group-version document.
    @Test func discoveryIsAggregated() async throws {
        try await Self.withSession { session in
            let resources = try await session.kubectl(["api-resources", "-v=6"])
            #expect(resources.status == 0, "\(resources)")
            let rows = Self.rows(resources.stdout)
            #expect(rows.first == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"], "\(resources)")
            #expect(rows.contains(["pods", "po", "v1", "true", "Pod"]), "\(resources)")
            #expect(rows.contains(["deployments", "deploy", "apps/v1", "true", "Deployment"]), "\(resources)")
            #expect(rows.contains(["events", "ev", "events.k8s.io/v1", "true", "Event"]), "\(resources)")
            #expect(resources.stderr.contains("/apis?timeout="), "\(resources.stderr)")
            #expect(!resources.stderr.contains("/apis/apps/v1?timeout="), "\(resources.stderr)")

            let pod = try session.write("pod.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: web}
                spec:
                  containers: [{name: c, image: "registry.example/web:1"}]

                """)
            #expect(try await session.kubectl(["create", "-f", pod]).status == 0)
            let pods = try await session.kubectl(["get", "pods"])
            #expect(Self.rows(pods.stdout).first == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], "\(pods)")
            #expect(Self.rows(pods.stdout).dropFirst().first?.prefix(3) == ["web", "0/1", "Pending"], "\(pods)")
            let events = try await session.kubectl(["get", "events.events.k8s.io", "-A"])
            #expect(events.status == 0, "\(events)")
        }
    }

    @Test(.enabled(if: Peers.shouldRun(Peers.openAPIDirectory), "../shared/kubernetes-openapi/v3 is missing"))
    func explainUsesOpenAPIv3() async throws {
        try await Self.withSession { session in
            let explain = try await session.kubectl(["explain", "pods.spec.containers.image"])
            #expect(explain.status == 0, "\(explain)")
            #expect(explain.stdout.contains("KIND:       Pod"), "\(explain)")
            #expect(explain.stdout.contains("FIELD: image <string>"), "\(explain)")
            let deployment = try await session.kubectl(["explain", "deployment.spec.replicas"])
            #expect(deployment.stdout.contains("GROUP:      apps"), "\(deployment)")
        }
    }
}
