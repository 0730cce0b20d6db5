import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

@Suite("Authentication, tokens, pod filesystem", .timeLimit(.minutes(3)))
struct AuthTests {
    @Test func tokenRequestMintsAWorkingServiceAccountToken() async throws {
        try await withServer { server, wire in
            let request: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": ["expirationSeconds": 3600]]
            let minted = try await wire.post("/api/v1/namespaces/default/serviceaccounts/default/token", request)
            #expect(minted.status == 201)
            let token = minted.json["status"]?["token"]?.stringValue ?? ""
            #expect(token.split(separator: ".").count == 3)
            // The claims are kube's.
            let payload = String(token.split(separator: ".")[1])
            var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            let claims = try JSONDecoder().decode(JSONValue.self, from: Data(base64Encoded: base64) ?? Data())
            #expect(claims["iss"] == "https://kubernetes.default.svc.cluster.local")
            #expect(claims["sub"] == "system:serviceaccount:default:default")
            #expect(claims["kubernetes.io"]?["namespace"] == "default")
            #expect(claims["kubernetes.io"]?["serviceaccount"]?["name"] == "default")
            #expect(claims["exp"] != nil && claims["iat"] != nil && claims["nbf"] != nil)

            let review: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"]
            let whoami = try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: JSONWriter.data(review), token: token)
            #expect(whoami.status == 201)
            #expect(whoami.json["status"]?["userInfo"]?["username"] == "system:serviceaccount:default:default")
            #expect(whoami.json["status"]?["userInfo"]?["groups"] == ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"])

            let denied = try await wire.request(.GET, "/api/v1/namespaces/default/pods", token: token)
            #expect(denied.status == 403)
            #expect(denied.statusObject?.message == "pods is forbidden: User \"system:serviceaccount:default:default\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"")

            let tokenReview: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": ["token": .string(token)]]
            let reviewed = try await wire.post("/apis/authentication.k8s.io/v1/tokenreviews", tokenReview)
            #expect(reviewed.json["status"]?["authenticated"] == true)
            #expect(reviewed.json["status"]?["user"]?["username"] == "system:serviceaccount:default:default")

            let tooShort: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": ["expirationSeconds": 60]]
            #expect(try await wire.post("/api/v1/namespaces/default/serviceaccounts/default/token", tooShort).status == 422)
            #expect(try await wire.post("/api/v1/namespaces/default/serviceaccounts/nobody/token", request).status == 404)

            // Rotating the signing key invalidates it; a freshly minted one works.
            await server.faults.rotateSigningKey()
            let rotated = try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: JSONWriter.data(review), token: token)
            #expect(rotated.status == 401)
            let fresh = try await server.mintServiceAccountToken(namespace: "default", serviceAccount: "default", expirationSeconds: 600)
            #expect(try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: JSONWriter.data(review), token: fresh).status == 201)
            await server.faults.expireAllTokens()
            #expect(try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: JSONWriter.data(review), token: fresh).status == 401)
        }
    }

    @Test func expiredTokensAndDeletedServiceAccountsAreRefused() async throws {
        try await withServer { server, wire in
            let review = JSONWriter.data(["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"] as JSONValue)
            // The same minting with a long lifetime is accepted (below, the `temp` token), so the 401 here is the
            // expiry. No request is made before `exp`: on a loaded machine it could arrive after it.
            let shortLived = try await server.mintServiceAccountToken(namespace: "default", serviceAccount: "default", expirationSeconds: 1)
            try await Task.sleep(for: .milliseconds(2100))
            let expired = try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: review, token: shortLived)
            #expect(expired.status == 401)
            #expect(expired.statusObject?.message == "Unauthorized")
            _ = try await wire.post("/api/v1/namespaces/default/serviceaccounts", ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "temp"]])
            let token = try await server.mintServiceAccountToken(namespace: "default", serviceAccount: "temp")
            #expect(try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: review, token: token).status == 201)
            _ = try await wire.delete("/api/v1/namespaces/default/serviceaccounts/temp")
            #expect(try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: review, token: token).status == 401)
        }
    }

    @Test func clientCertificatesAuthenticateTheAdmin() async throws {
        try await withServer { server, _ in
            let issued = try server.pki.issueClientCertificate(user: "admin", groups: ["system:masters"])
            let wire = try Wire(server: server, token: nil, clientCertificate: (issued.certificatePEM, issued.keyPEM))
            let whoami = try await wire.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"])
            #expect(whoami.json["status"]?["userInfo"]?["username"] == "admin")
            #expect(try await wire.get("/api/v1/namespaces/default/pods").status == 200)
            await wire.shutdown()

            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kts-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try server.writeAdminKubeconfig(to: directory + "/kubeconfig", clientCertificate: true)
            let text = try String(contentsOfFile: directory + "/kubeconfig", encoding: .utf8)
            #expect(text.contains("client-certificate-data:"))
            #expect(text.contains("server: \(server.url)"))
            try server.writeAdminKubeconfig(to: directory + "/kubeconfig-token")
            #expect(try String(contentsOfFile: directory + "/kubeconfig-token", encoding: .utf8).contains("token: \(server.adminToken)"))
        }
    }

    @Test func podFilesystemLooksLikeTheKubeletsAndRotates() async throws {
        try await withServer { server, wire in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kts-pod-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let pod = try await server.writePodFilesystem(namespace: "default", serviceAccount: "default", directory: directory)
            let manager = FileManager.default
            #expect(try manager.destinationOfSymbolicLink(atPath: directory + "/token") == "..data/token")
            let data = try manager.destinationOfSymbolicLink(atPath: directory + "/..data")
            #expect(data.hasPrefix("..20"))
            #expect(try String(contentsOfFile: pod.namespacePath, encoding: .utf8) == "default")
            #expect(try String(contentsOfFile: pod.caPath, encoding: .utf8) == server.caCertificatePEM)
            #expect(pod.environment["KUBERNETES_SERVICE_PORT"] == String(server.ports[0]))
            #expect(pod.environment["KUBERNETES_SERVICE_HOST"] == "127.0.0.1")
            let token = try String(contentsOfFile: pod.tokenPath, encoding: .utf8)
            let review = JSONWriter.data(["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"] as JSONValue)
            #expect(try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: review, token: token).status == 201)
            try await server.rotateToken(pod, expirationSeconds: 600)
            let rotated = try String(contentsOfFile: pod.tokenPath, encoding: .utf8)
            #expect(rotated != token)
            #expect(try manager.destinationOfSymbolicLink(atPath: directory + "/..data") != data)
            #expect(!manager.fileExists(atPath: directory + "/" + data))
            #expect(try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: review, token: rotated).status == 201)
        }
    }
}

@Suite("Faults and CRDs", .timeLimit(.minutes(3)))
struct FaultAndCRDTests {
    @Test func injectedFailuresCarryRetryAfterAndTheHTTPControlIsAdminOnly() async throws {
        try await withServer { server, wire in
            server.faults.failNextRequests(2, status: 429, retryAfterSeconds: 2, pathContains: "/configmaps")
            let first = try await wire.get("/api/v1/namespaces/default/configmaps")
            #expect(first.status == 429)
            #expect(first.headers.first(name: "retry-after") == "2")
            #expect(first.statusObject?.details?.retryAfterSeconds == 2)
            #expect(try await wire.get("/api/v1/namespaces/default/secrets").status == 200)
            #expect(try await wire.get("/api/v1/namespaces/default/configmaps").status == 429)
            #expect(try await wire.get("/api/v1/namespaces/default/configmaps").status == 200)

            let control = try await wire.post("/_control/faults", ["action": "failNextRequests", "count": 1, "status": 503])
            #expect(control.status == 200)
            #expect(try await wire.get("/api/v1/namespaces/default/configmaps").status == 503)
            let token = try await server.mintServiceAccountToken(namespace: "default", serviceAccount: "default")
            let denied = try await wire.request(.POST, "/_control/faults", body: Data(#"{"action":"clear"}"#.utf8), token: token)
            #expect(denied.status == 403)
            #expect(try await wire.post("/_control/faults", ["action": "explode"]).status == 400)
        }
    }

    /// One client's answers are delayed (by User-Agent); the others are served at once. With
    /// `applyFirst` the write has happened before the late answer; without, it happens late.
    @Test func oneClientsResponsesAreDelayed() async throws {
        // Long enough that a loaded machine cannot make an undelayed request look delayed.
        let delay = Duration.milliseconds(1_500)
        try await withServer { server, wire in
            let slow: [(String, String)] = [("User-Agent", "test-client slow-one")]
            server.faults.delayResponses(toUserAgentContaining: "slow-one", by: delay)
            var started = ContinuousClock.now
            #expect(try await wire.get("/api/v1/namespaces/default/configmaps", headers: slow).status == 200)
            #expect(ContinuousClock.now - started >= delay)
            started = ContinuousClock.now
            #expect(try await wire.get("/api/v1/namespaces/default/configmaps", headers: [("User-Agent", "someone-else")]).status == 200)
            #expect(ContinuousClock.now - started < delay)

            // applyFirst (the default): the object exists while its creator still waits for the answer.
            let body = JSONWriter.data(configMap("written-early"))
            let create = Task { try await wire.request(.POST, "/api/v1/namespaces/default/configmaps", body: body, headers: slow) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await wire.get("/api/v1/namespaces/default/configmaps/written-early").status == 200)
            #expect(try await create.value.status == 201)

            // Over HTTP, holding the request itself: the object appears only after the delay.
            #expect(
                try await wire.post(
                    "/_control/faults", ["action": "delayClientResponses", "userAgentContains": "slow-one", "milliseconds": 1_500, "applyFirst": false]
                ).status == 200)
            let late = JSONWriter.data(configMap("written-late"))
            let lateCreate = Task { try await wire.request(.POST, "/api/v1/namespaces/default/configmaps", body: late, headers: slow) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await wire.get("/api/v1/namespaces/default/configmaps/written-late").status == 404)
            #expect(try await lateCreate.value.status == 201)
            #expect(try await wire.get("/api/v1/namespaces/default/configmaps/written-late").status == 200)

            #expect(try await wire.post("/_control/faults", ["action": "delayClientResponses", "milliseconds": 10]).status == 400)
            server.faults.clear()
            started = ContinuousClock.now
            #expect(try await wire.get("/api/v1/namespaces/default/configmaps", headers: slow).status == 200)
            #expect(ContinuousClock.now - started < delay)
        }
    }

    @Test func droppedWatchesAndShutdownEndStreams() async throws {
        try await withServer { server, wire in
            let watch = try await wire.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(await server.currentResourceVersion)")
            _ = try await wire.post("/api/v1/namespaces/default/configmaps", configMap("before-cut"))
            try await Task.sleep(for: .milliseconds(200))
            await server.faults.dropAllWatches()
            do {
                let events = try await watch.events(timeout: .seconds(5))
                #expect(events.count == 1)  // the stream ended (cut) after the one event
            } catch {
                #expect(!(error is WatchTimeout))  // a cut connection, not a stream left open
            }
            #expect(try await wire.get("/healthz").status == 200)
        }
    }

    @Test func customResourceDefinitionsServeTheirResources() async throws {
        try await withServer { _, wire in
            let crd: JSONValue = [
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": ["name": "widgets.example.com"],
                "spec": [
                    "group": "example.com", "scope": "Namespaced",
                    "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]],
                    "versions": [["name": "v1", "served": true, "storage": true, "subresources": ["status": [:]],
                                  "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]]]],
                ],
            ]
            let created = try await wire.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
            #expect(created.status == 201)
            // Like kube-apiserver: the create answer is not established yet (conditions null,
            // empty accepted names); the establishing write follows at once.
            #expect(created.json["status"]?["conditions"] == .null)
            #expect(created.json["status"]?["acceptedNames"] == ["plural": "", "kind": ""])
            #expect(created.json["spec"]?["conversion"] == ["strategy": "None"])
            #expect(created.json["spec"]?["names"]?["listKind"] == "WidgetList")
            let stored = try await wire.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").json
            let conditions = stored["status"]?["conditions"]?.arrayValue ?? []
            #expect(conditions.contains { $0["type"] == "Established" && $0["status"] == "True" })
            #expect(stored["status"]?["acceptedNames"]?["listKind"] == "WidgetList")
            #expect(stored["metadata"]?["managedFields"]?.arrayValue?.contains { $0["manager"] == "kube-apiserver" && $0["subresource"] == "status" } == true)
            let discovery = try await wire.get("/apis/example.com/v1")
            let names = discovery.json["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names == ["widgets", "widgets/status"])
            let groups = try await wire.get("/apis")
            #expect(groups.json["groups"]?.arrayValue?.contains { $0["name"] == "example.com" } == true)
            let widget: JSONValue = ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w1"], "spec": ["size": 3], "status": ["ok": true]]
            let made = try await wire.post("/apis/example.com/v1/namespaces/default/widgets", widget)
            #expect(made.status == 201)
            #expect(made.json["metadata"]?["generation"] == 1)
            #expect(made.json["status"] == nil)
            let list = try await wire.get("/apis/example.com/v1/widgets")
            #expect(list.json["kind"] == "WidgetList")
            #expect(list.json["items"]?.arrayValue?.count == 1)
            _ = try await wire.delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
            #expect(try await wire.get("/apis/example.com/v1/namespaces/default/widgets").status == 404)
            #expect(try await wire.get("/apis/example.com/v1").status == 404)
        }
    }

    @Test func tableOutputForKubectl() async throws {
        try await withServer { _, wire in
            let table = try await wire.get("/api/v1/namespaces", headers: [("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")])
            #expect(table.json["kind"] == "Table")
            #expect(table.json["columnDefinitions"]?.arrayValue?.first?["name"] == "Name")
            #expect(table.json["rows"]?.arrayValue?.count == 4)
            let plain = try await wire.get("/api/v1/namespaces", headers: [("Accept", "application/json")])
            #expect(plain.json["kind"] == "NamespaceList")
        }
    }
}
