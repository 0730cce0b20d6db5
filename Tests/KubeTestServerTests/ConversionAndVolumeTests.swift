import Foundation
import KubeCore
import Testing
@testable import KubeTestServer

/// HorizontalPodAutoscalers through `autoscaling/v1` and `v2` (one storage, recording 050),
/// pod volume validation (069) and kube's scheme errors for a body of another kind (022),
/// over TLS.
@Suite("Autoscaler versions, pod volumes, body kinds", .timeLimit(.minutes(1)))
struct ConversionAndVolumeTests {
    let v1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"
    let v2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"

    @Test func anAutoscalerReadsAndWritesThroughBothVersions() async throws {
        try await withServer { _, wire in
            let target: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"]
            let memory: JSONValue = ["type": "Resource", "resource": ["name": "memory", "target": ["type": "AverageValue", "averageValue": "500Mi"]]]
            let cpu: JSONValue = ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 70]]]
            let behavior: JSONValue = ["scaleDown": ["stabilizationWindowSeconds": 60]]
            let created = try await wire.post(v2, [
                "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "web"],
                "spec": ["scaleTargetRef": target, "maxReplicas": 5, "metrics": [cpu, memory], "behavior": behavior],
            ])
            #expect(created.status == 201)

            let old = try await wire.get(v1 + "/web")
            #expect(old.json["apiVersion"] == "autoscaling/v1")
            #expect(old.json["spec"] == ["scaleTargetRef": target, "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 70])
            #expect(old.json["status"] == ["currentReplicas": 0, "desiredReplicas": 0])
            let annotations = try #require(old.json["metadata"]?["annotations"])
            #expect(annotations["autoscaling.alpha.kubernetes.io/metrics"]?.stringValue.flatMap { try? JSONWriter.parse(Data($0.utf8)) } == [memory])
            #expect(annotations["autoscaling.alpha.kubernetes.io/behavior"] != nil)

            // A v1 read-modify-write changes the CPU target and keeps what v1 has no field for.
            var changed = old.json
            changed["spec"]?["targetCPUUtilizationPercentage"] = 50
            let updated = try await wire.put(v1 + "/web", changed)
            #expect(updated.status == 200)
            #expect(updated.json["spec"]?["targetCPUUtilizationPercentage"] == 50)
            let current = try await wire.get(v2 + "/web")
            let cpu50: JSONValue = ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 50]]]
            #expect(current.json["spec"]?["metrics"] == [cpu50, memory])
            #expect(current.json["spec"]?["behavior"]?["scaleDown"]?["stabilizationWindowSeconds"] == 60)
            #expect(current.json["metadata"]?["annotations"] == nil)

            let made = try await wire.post(v1, [
                "apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "old"],
                "spec": ["scaleTargetRef": target, "maxReplicas": 3, "targetCPUUtilizationPercentage": 60],
            ])
            #expect(made.status == 201)
            #expect(made.json["status"] == ["currentReplicas": 0, "desiredReplicas": 0])
            let read = try await wire.get(v2 + "/old")
            #expect(read.json["spec"]?["metrics"]?[0]?["resource"]?["target"]?["averageUtilization"] == 60)
            #expect(read.json["status"] == ["desiredReplicas": 0, "currentMetrics": .null])
        }
    }

    func deployment(volumes: [JSONValue], mounts: [JSONValue]) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
            "spec": [
                "selector": ["matchLabels": ["app": "web"]],
                "template": [
                    "metadata": ["labels": ["app": "web"]],
                    "spec": ["volumes": .array(volumes), "containers": [["name": "web", "image": "web:1", "volumeMounts": .array(mounts)]]],
                ],
            ],
        ]
    }

    @Test func aVolumeHasExactlyOneSourceAndMountsNameValidVolumes() async throws {
        try await withServer { _, wire in
            let deployments = "/apis/apps/v1/namespaces/default/deployments"
            let two = try await wire.post(deployments, deployment(
                volumes: [["name": "cache", "emptyDir": [:], "hostPath": ["path": "/var/cache"]]],
                mounts: [["name": "cache", "mountPath": "/cache"]]))
            #expect(two.status == 422)
            #expect(two.statusObject?.message == #"Deployment.apps "web" is invalid: [spec.template.spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type, spec.template.spec.containers[0].volumeMounts[0].name: Not found: "cache"]"#)
            #expect(two.statusObject?.details?.causes?.map(\.reason) == ["FieldValueForbidden", "FieldValueNotFound"])

            let none = try await wire.post(deployments, deployment(volumes: [["name": "cache"]], mounts: []))
            #expect(none.statusObject?.message == #"Deployment.apps "web" is invalid: spec.template.spec.volumes[0]: Required value: must specify a volume type"#)

            let missing = try await wire.post(deployments, deployment(volumes: [], mounts: [["name": "data", "mountPath": "/data"]]))
            #expect(missing.statusObject?.message == #"Deployment.apps "web" is invalid: spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data""#)

            let good = try await wire.post(deployments, deployment(
                volumes: [["name": "cache", "emptyDir": [:]]], mounts: [["name": "cache", "mountPath": "/cache"]]))
            #expect(good.status == 201)
        }
    }

    @Test func aBodyOfAnotherKindIsDecodedWithKubesScheme() async throws {
        try await withServer { _, wire in
            let deployment = try await wire.post(
                "/apis/apps/v1/namespaces/default/deployments", ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c"]])
            #expect(deployment.status == 400)
            #expect(deployment.statusObject?.message
                == #"ConfigMap in version "v1" cannot be handled as a Deployment: converting (v1.ConfigMap) to (apps.Deployment): unknown conversion"#)
            let unknown = try await wire.post("/api/v1/namespaces/default/configmaps", ["apiVersion": "v1", "kind": "Gadget", "metadata": ["name": "c"]])
            #expect(unknown.statusObject?.message
                == #"Gadget in version "v1" cannot be handled as a ConfigMap: no kind "Gadget" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30""#)
        }
    }
}
