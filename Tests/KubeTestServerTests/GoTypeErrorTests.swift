import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// A built-in body whose values do not fit the kind's Go types is refused as kube-apiserver
/// refuses it (recorded exchange 024), instead of being stored: a create or update is 400, a
/// patch whose result does not fit is 422 on `patch`.
@Suite("Go type errors for built-in kinds", .timeLimit(.minutes(1)))
struct GoTypeErrorTests {
    let configMaps = "/api/v1/namespaces/default/configmaps"

    @Test func createAndUpdateWithAWrongTypeAre400() async throws {
        try await withServer { _, wire in
            let bad = try await wire.post(configMaps, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c"], "data": "x"])
            #expect(bad.status == 400)
            #expect(bad.statusObject?.message == #"ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ConfigMap.data of type map[string]string"#)
            let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
                                  "spec": ["containers": [["name": "c", "image": "i", "ports": [["containerPort": "80"]]]]]]
            let badPod = try await wire.post("/api/v1/namespaces/default/pods", pod)
            #expect(badPod.statusObject?.message == #"Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"#)
            let fraction: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "d"], "spec": ["replicas": 1.5]]
            #expect(try await wire.post("/apis/apps/v1/namespaces/default/deployments", fraction).statusObject?.message
                == #"Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"#)
            #expect(try await wire.post(configMaps, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c"], "data": ["a": "1"]]).status == 201)
            let update = try await wire.put(configMaps + "/c", ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c"], "data": ["a", "b"]])
            #expect(update.status == 400)
            #expect(update.statusObject?.message?.hasSuffix("cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string") == true)
            #expect(try await wire.get(configMaps + "/c").json["data"] == ["a": "1"])

            // The status subresource is checked too, so a bad status never blocks later writes.
            let pods = "/api/v1/namespaces/default/pods"
            #expect(try await wire.post(pods, ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "s"], "spec": ["containers": [["name": "c", "image": "i"]]]]).status == 201)
            var withStatus = try await wire.get(pods + "/s").json
            withStatus["status"] = ["phase": 1]
            let status = try await wire.put(pods + "/s/status", withStatus)
            #expect(status.statusObject?.message == #"Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field PodStatus.status.phase of type string"#)
            #expect(try await wire.request(.PATCH, pods + "/s", body: Data(#"{"metadata":{"labels":{"a":"b"}}}"#.utf8), contentType: "application/merge-patch+json").status == 200)
        }
    }

    @Test func aPatchWhoseResultDoesNotFitIs422() async throws {
        try await withServer { _, wire in
            let created = try await wire.post(configMaps, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "p1"], "data": ["a": "1"]])
            let merge = try await wire.request(.PATCH, configMaps + "/p1", body: Data(#"{"data":"not-a-map"}"#.utf8), contentType: "application/merge-patch+json")
            #expect(merge.status == 422)
            let message = try #require(merge.statusObject?.message)
            print("MESSAGE", message)
            let metadata = try #require(created.json["metadata"])
            #expect(message.hasPrefix(#" "" is invalid: patch: Invalid value: "{\"apiVersion\":\"v1\",\"data\":\"not-a-map\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\",\"uid\":\"\#(metadata["uid"]?.stringValue ?? "")\",\"resourceVersion\":"#))
            #expect(message.hasSuffix(#"}}": json: cannot unmarshal string into Go struct field ConfigMap.data of type map[string]string"#))
            let strategic = try await wire.request(.PATCH, configMaps + "/p1", body: Data(#"{"data":["x"]}"#.utf8), contentType: "application/strategic-merge-patch+json")
            #expect(strategic.statusObject?.message == #" "" is invalid: patch: Invalid value: "map[data:[x]]": cannot restore map from slice"#)
            #expect(strategic.statusObject?.details?.causes?.first?.field == "patch")
            #expect(try await wire.get(configMaps + "/p1").json["data"] == ["a": "1"])
        }
    }
}
