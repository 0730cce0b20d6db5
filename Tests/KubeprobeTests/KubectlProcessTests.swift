import Foundation
import KubeTestServer
import Testing

/// The small kubectl run as a process against an in-process KubeTestServer.
@Suite("kubeprobe kubectl commands (process)", .serialized, .timeLimit(.minutes(5)))
struct KubectlProcessTests {
    @Test("get: kubectl-like tables, -o wide/json/yaml/name, selectors, a single object, any resource via discovery")
    func get() async throws {
        try await withCluster { cluster in
            let admin = ["--kubeconfig", cluster.kubeconfig]
            let env = cluster.outsideEnvironment
            try await cluster.server.apply(json: Data(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"web-config","namespace":"default","labels":{"app":"web"}},"data":{"a":"1","b":"2"}}"#.utf8))

            let table = try await Kubeprobe.run(["get", "configmaps"] + admin, environment: env)
            #expect(table.exitCode == 0, "\(table.stderr)")
            let lines = table.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("NAME") == true)
            #expect(lines.first?.contains("DATA") == true && lines.first?.contains("AGE") == true)
            #expect(lines.contains { $0.hasPrefix("web-config") && $0.contains(" 2 ") })
            #expect(lines.contains { $0.hasPrefix("kube-root-ca.crt") })

            let selected = try await Kubeprobe.run(["get", "cm", "-l", "app=web", "-o", "name"] + admin, environment: env)
            #expect(selected.exitCode == 0)
            #expect(selected.stdout == "configmap/web-config\n")

            let json = try await Kubeprobe.run(["get", "configmap", "web-config", "-o", "json"] + admin, environment: env)
            #expect(json.exitCode == 0)
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect(object?["kind"] as? String == "ConfigMap")
            #expect((object?["data"] as? [String: String])?["b"] == "2")

            let yaml = try await Kubeprobe.run(["get", "configmaps", "-o", "yaml"] + admin, environment: env)
            #expect(yaml.exitCode == 0)
            #expect(yaml.stdout.contains("kind: List"))
            #expect(yaml.stdout.contains("name: web-config"))

            let namespaces = try await Kubeprobe.run(["get", "namespaces"] + admin, environment: env)
            #expect(namespaces.stdout.contains("STATUS"))
            #expect(namespaces.stdout.split(separator: "\n").contains { $0.hasPrefix("kube-system") && $0.contains("Active") })

            let services = try await Kubeprobe.run(["get", "svc", "-A", "-o", "wide"] + admin, environment: env)
            #expect(services.exitCode == 0)
            #expect(services.stdout.hasPrefix("NAMESPACE"))
            #expect(services.stdout.contains("CLUSTER-IP"))
            #expect(services.stdout.contains("10.96.0.1"))
            #expect(services.stdout.contains("443/TCP"))

            // A resource without a dedicated table: NAME and AGE through discovery.
            let classes = try await Kubeprobe.run(["get", "clusterroles"] + admin, environment: env)
            #expect(classes.exitCode == 0 || classes.stderr.contains("No resources found"))

            let missing = try await Kubeprobe.run(["get", "configmap", "nope"] + admin, environment: env)
            #expect(missing.exitCode == 1)
            #expect(missing.stderr.contains("not found"))
        }
    }

    @Test("get: unknown resource exits 1, malformed selector and bad -o exit 2, unreadable kubeconfig exits 1")
    func getBadInput() async throws {
        try await withCluster { cluster in
            let admin = ["--kubeconfig", cluster.kubeconfig]
            let env = cluster.outsideEnvironment
            let unknown = try await Kubeprobe.run(["get", "flurbs"] + admin, environment: env)
            #expect(unknown.exitCode == 1)
            #expect(unknown.stderr.contains("the server doesn't have a resource type \"flurbs\""))

            let selector = try await Kubeprobe.run(["get", "pods", "-l", "app in (web"] + admin, environment: env)
            #expect(selector.exitCode == 2)
            #expect(selector.stderr.contains("malformed label selector"))

            let format = try await Kubeprobe.run(["get", "pods", "-o", "xml"] + admin, environment: env)
            #expect(format.exitCode == 2)

            let unreadable = try await Kubeprobe.run(["get", "pods", "--kubeconfig", cluster.directory + "/missing-kubeconfig"], environment: env)
            #expect(unreadable.exitCode == 1)
            #expect(unreadable.stderr.contains("missing-kubeconfig"))

            let garbage = cluster.directory + "/garbage"
            try Data("clusters: [this is: not: a kubeconfig".utf8).write(to: URL(fileURLWithPath: garbage))
            let notYAML = try await Kubeprobe.run(["get", "pods", "--kubeconfig", garbage], environment: env)
            #expect(notYAML.exitCode == 1)
            #expect(notYAML.stderr.contains("garbage"))
        }
    }

    @Test("whoami and can-i: admin and a service account; unknown verb exits 2")
    func identity() async throws {
        try await withCluster { cluster in
            let admin = ["--kubeconfig", cluster.kubeconfig]
            let env = cluster.outsideEnvironment
            let whoami = try await Kubeprobe.run(["whoami"] + admin, environment: env)
            #expect(whoami.exitCode == 0)
            #expect(whoami.stdout.contains("Username"))
            #expect(whoami.stdout.contains("admin"))
            #expect(whoami.stdout.contains("system:masters"))

            let (_, podEnvironment) = try await cluster.pod(namespace: "team", serviceAccount: "app")
            let sa = try await Kubeprobe.run(["whoami", "-o", "json"], environment: podEnvironment)
            #expect(sa.exitCode == 0, "\(sa.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(sa.stdout.utf8)) as? [String: Any]
            #expect((object?["userInfo"] as? [String: Any])?["username"] as? String == "system:serviceaccount:team:app")

            let yes = try await Kubeprobe.run(["can-i", "list", "pods"] + admin, environment: env)
            #expect(yes.exitCode == 0)
            #expect(yes.stdout == "yes\n")

            let no = try await Kubeprobe.run(["can-i", "list", "secrets", "-n", "kube-system"], environment: podEnvironment)
            #expect(no.exitCode == 1)
            #expect(no.stdout.hasPrefix("no"))

            let verb = try await Kubeprobe.run(["can-i", "frob", "pods"] + admin, environment: env)
            #expect(verb.exitCode == 2)
            #expect(verb.stderr.contains("unknown verb \"frob\""))

            let resource = try await Kubeprobe.run(["can-i", "get", "flurbs"] + admin, environment: env)
            #expect(resource.exitCode == 1)
            #expect(resource.stderr.contains("doesn't have a resource type"))
        }
    }

    @Test("token: the mounted token's claims, text and JSON, never the token itself")
    func token() async throws {
        try await withCluster { cluster in
            let (pod, environment) = try await cluster.pod(namespace: "team", serviceAccount: "app")
            let token = try String(contentsOfFile: pod.tokenPath, encoding: .utf8)
            let text = try await Kubeprobe.run(["token"], environment: environment)
            #expect(text.exitCode == 0)
            #expect(text.stdout.contains("system:serviceaccount:team:app"))
            #expect(text.stdout.contains("team/app"))
            #expect(text.stdout.contains("left)"))
            #expect(!text.stdout.contains(token))
            let json = try await Kubeprobe.run(["token", "-o", "json"], environment: environment)
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect(object?["serviceAccount"] as? String == "app")
            #expect(object?["namespace"] as? String == "team")
            #expect(object?["isLegacySecretToken"] as? Bool == false)

            let missing = try await Kubeprobe.run(["token", "--file", cluster.directory + "/none"], environment: environment)
            #expect(missing.exitCode == 1)
            #expect(missing.stderr.contains("cannot read the token"))
        }
    }

    @Test("watch: the current objects, then live changes as JSON lines and table rows; stops after --count")
    func watch() async throws {
        try await withCluster { cluster in
            let admin = ["--kubeconfig", cluster.kubeconfig]
            let env = cluster.outsideEnvironment
            async let json = Kubeprobe.run(["watch", "configmaps", "-n", "default", "-o", "json", "--count", "2", "--timeout", "20"] + admin, environment: env)
            async let table = Kubeprobe.run(["watch", "configmaps", "-n", "default", "--count", "2", "--timeout", "20"] + admin, environment: env)
            try await Task.sleep(for: .seconds(2))
            try await cluster.server.apply(json: Data(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"live","namespace":"default"},"data":{"v":"1"}}"#.utf8))
            try await Task.sleep(for: .milliseconds(300))
            try await cluster.server.apply(json: Data(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"live","namespace":"default"},"data":{"v":"2"}}"#.utf8))
            let (jsonResult, tableResult) = try await (json, table)
            #expect(jsonResult.exitCode == 0, "\(jsonResult.stderr)")
            let events = jsonResult.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let types = events.map { $0["type"] as? String ?? "" }
            let names = events.map { (($0["object"] as? [String: Any])?["metadata"] as? [String: Any])?["name"] as? String ?? "" }
            #expect(names.contains("kube-root-ca.crt"), "the current objects come first")
            #expect(Array(types.suffix(2)) == ["ADDED", "MODIFIED"])
            #expect(Array(names.suffix(2)) == ["live", "live"])
            #expect(tableResult.exitCode == 0)
            #expect(tableResult.stdout.hasPrefix("EVENT"))
            #expect(tableResult.stdout.contains("MODIFIED"))
            #expect(jsonResult.seconds < 15)
        }
    }

    @Test("apply -f --server-side: a multi-document YAML file and a JSON file")
    func apply() async throws {
        try await withCluster { cluster in
            let admin = ["--kubeconfig", cluster.kubeconfig]
            let env = cluster.outsideEnvironment
            let file = cluster.directory + "/objects.yaml"
            try Data("""
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: applied-one
                data:
                  key: value
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: applied-two
                  namespace: kube-system
                data:
                  other: "2"
                """.utf8).write(to: URL(fileURLWithPath: file))
            let result = try await Kubeprobe.run(["apply", "-f", file, "--server-side"] + admin, environment: env)
            #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stdout.contains("configmap/applied-one serverside-applied"))
            #expect(result.stdout.contains("configmap/applied-two serverside-applied"))
            let check = try await Kubeprobe.run(["get", "configmap", "applied-two", "-n", "kube-system", "-o", "json"] + admin, environment: env)
            #expect(check.stdout.contains("\"other\" : \"2\""))
            #expect(check.stdout.contains("kubeprobe"), "managedFields name the field manager")

            let json = cluster.directory + "/object.json"
            try Data(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied-json"},"data":{"j":"1"}}"#.utf8).write(to: URL(fileURLWithPath: json))
            let fromJSON = try await Kubeprobe.run(["apply", "-f", json, "--server-side"] + admin, environment: env)
            #expect(fromJSON.exitCode == 0, "\(fromJSON.stderr)")

            let noFlag = try await Kubeprobe.run(["apply", "-f", json] + admin, environment: env)
            #expect(noFlag.exitCode == 2)
            let badFile = try await Kubeprobe.run(["apply", "-f", cluster.directory + "/none.yaml", "--server-side"] + admin, environment: env)
            #expect(badFile.exitCode == 1)
            #expect(badFile.stderr.contains("cannot read"))
        }
    }

    @Test("-v logs each request on standard error, never the token")
    func verbose() async throws {
        try await withCluster { cluster in
            let result = try await Kubeprobe.run(["get", "namespaces", "-v", "--kubeconfig", cluster.kubeconfig], environment: cluster.outsideEnvironment)
            #expect(result.exitCode == 0)
            #expect(result.stderr.contains("path=/api/v1/namespaces"))
            #expect(result.stderr.contains("status=200"))
            #expect(!result.stderr.contains(cluster.server.adminToken))
        }
    }
}
