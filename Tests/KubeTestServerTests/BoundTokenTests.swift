import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// Tokens bound to an object by TokenRequest (`boundObjectRef`) die with that object, checked
/// on every authentication like kube-apiserver's service account token validator; TokenRequest
/// and TokenReview answer as the recorded v1.36 server did (101-104).
@Suite("Bound service account tokens (recordings 101-104)", .timeLimit(.minutes(3)))
struct BoundTokenTests {
    static let selfReview = JSONWriter.data(["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"] as JSONValue)

    @Test func secretAndPodBoundTokensDieWithTheirObject() async throws {
        try await withServer { server, wire in
            let replay = try Replayer("103-tokenrequest-bound-objects", server: server, wire: wire)
            try await replay.send(0...2)
            // TokenRequest bound to the Secret, then to a Pod of that ServiceAccount (on node-1).
            // TokenReview of the pod-bound token: pod-name, pod-uid, node-name (no Node object, no node-uid).
            for step in 3...7 {
                let differences = try await replay.mismatches(step)
                #expect(differences == [], "\(differences)")
            }
            let secretToken = try await tokenOf(replay, step: 3)
            let podToken = try await tokenOf(replay, step: 5)
            #expect(try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: Self.selfReview, token: secretToken).status == 201)

            // Deleting the Secret invalidates its token at once (kube: after its informer catches up).
            for step in 8...9 {
                let differences = try await replay.mismatches(step)
                #expect(differences == [], "\(differences)")
            }
            let refused = try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: Self.selfReview, token: secretToken)
            #expect(refused.status == 401)
            #expect(refused.statusObject?.message == "Unauthorized")

            // The same for the Pod.
            #expect(try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: Self.selfReview, token: podToken).status == 201)
            #expect(try await wire.delete("/api/v1/namespaces/\(replay.namespace)/pods/p").status == 200)
            #expect(try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: Self.selfReview, token: podToken).status == 401)
            #expect(try await review(podToken, wire: wire)["status"] == ["user": [:], "error": "[invalid bearer token, service account token has been invalidated]"])
        }
    }

    @Test func aRecreatedObjectDoesNotRevive() async throws {
        try await withServer { server, wire in
            let replay = try Replayer("103-tokenrequest-bound-objects", server: server, wire: wire)
            try await replay.send(0...3)
            let token = try await tokenOf(replay, step: 3)
            let path = "/api/v1/namespaces/\(replay.namespace)/secrets"
            let oldUID = try await wire.get(path + "/anchor").json["metadata"]?["uid"]?.stringValue ?? ""
            #expect(try await wire.delete(path + "/anchor").status == 200)
            let recreated = try await wire.post(path, ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "anchor"]])
            let newUID = recreated.json["metadata"]?["uid"]?.stringValue ?? ""
            #expect(!newUID.isEmpty && newUID != oldUID)
            #expect(try await wire.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: Self.selfReview, token: token).status == 401)
            #expect(try await review(token, wire: wire)["status"]?["error"]
                == .string("[invalid bearer token, secret UID (\(newUID)) does not match service account secret ref claim (\(oldUID))]"))
        }
    }

    @Test func tokenRequestValidationAsRecorded() async throws {
        try await withServer { server, wire in
            let replay = try Replayer("102-tokenrequest-validation", server: server, wire: wire)
            try await replay.send(0...2)
            // 599 s (422), a missing Secret (404), a ConfigMap (400), a Pod of another account (400),
            // a wrong Pod uid (409), apiVersion v2 accepted (201).
            for step in 3...10 {
                let differences = try await replay.mismatches(step)
                #expect(differences == [], "\(differences)")
            }
            let basic = try Replayer("101-tokenrequest-basic", server: server, wire: wire)
            for step in 0...5 {
                let differences = try await basic.mismatches(step)
                #expect(differences == [], "\(differences)")
            }
        }
    }

    @Test func tokenReviewAnswersAsRecorded() async throws {
        try await withServer { server, wire in
            let replay = try Replayer("104-tokenreview", server: server, wire: wire)
            // A valid token, a garbage token, another audience (refused, then accepted when named),
            // an empty token (400), a ServiceAccount may not create TokenReviews (403).
            for step in 0...9 {
                let differences = try await replay.mismatches(step)
                #expect(differences == [], "\(differences)")
            }
        }
    }

    private func tokenOf(_ replay: Replayer, step: Int) async throws -> String {
        // Tokens are not kept by the replayer's masking; mint the same request again.
        let request = replay.recording.request(step)["body"]?.substituting(replay.namespace) ?? .null
        let path = (replay.recording.request(step)["path"]?.stringValue ?? "").replacingOccurrences(of: "{ns}", with: replay.namespace)
        return try await replay.wire.post(path, request).json["status"]?["token"]?.stringValue ?? ""
    }

    private func review(_ token: String, wire: Wire) async throws -> JSONValue {
        try await wire.post("/apis/authentication.k8s.io/v1/tokenreviews", [
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": ["token": .string(token)],
        ]).json
    }
}
