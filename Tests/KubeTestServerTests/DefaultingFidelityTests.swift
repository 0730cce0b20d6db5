import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// Objects come back with every default the recorded v1.36 server filled in (defaulting
/// category 037-054), and the validation errors of those exchanges have kube's messages.
@Suite("Defaulting as recorded (037-054)", .timeLimit(.minutes(4)))
struct DefaultingFidelityTests {
    /// Exchange → steps not compared, with the reason (also listed in docs/test-server-fidelity.md).
    static let notCompared: [String: [Int: String]] = [
        "049-poddisruptionbudget": [2: "PDB minAvailable+maxUnavailable validation (Go struct in the message) not implemented"],
        "050-hpa-v2": [2: "no autoscaling/v1 <-> v2 conversion: versions share storage unconverted"],
    ]

    @Test(arguments: [
        "037-pod-minimal", "038-pod-full-defaults", "039-service-clusterip", "040-service-nodeport", "041-service-headless-externalname",
        "042-deployment", "043-daemonset", "044-job", "045-cronjob", "046-configmap-secret", "047-ingress", "048-networkpolicy",
        "049-poddisruptionbudget", "050-hpa-v2", "051-priorityclass", "052-namespace", "053-pvc-and-endpoints", "054-resourcequota",
    ])
    func replaysAsRecorded(_ name: String) async throws {
        try await withServer { server, wire in
            let replay = try Replayer(name, server: server, wire: wire)
            let skipped = Self.notCompared[name] ?? [:]
            for step in replay.recording.steps.indices {
                if skipped[step] != nil {
                    try await replay.send(step)
                    continue
                }
                let differences = try await replay.mismatches(step)
                #expect(differences == [], "\(name): \(differences)")
            }
        }
    }

    /// No recording has a StatefulSet or ReplicaSet; these are kube's `SetDefaults_StatefulSet`
    /// and `SetDefaults_ReplicaSet` (with MaxUnavailableStatefulSet, beta and on since v1.35).
    @Test func statefulSetsAndReplicaSetsAreDefaulted() async throws {
        try await withServer { _, wire in
            let template: JSONValue = [
                "metadata": ["labels": ["app": "db"]],
                "spec": ["containers": [["name": "db", "image": "registry.example/db:1"]]],
            ]
            let statefulSet: JSONValue = [
                "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": "db"],
                "spec": [
                    "serviceName": "db", "selector": ["matchLabels": ["app": "db"]], "template": template,
                    "volumeClaimTemplates": [["metadata": ["name": "data"], "spec": [
                        "accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]],
                    ]]],
                ],
            ]
            let created = try await wire.post("/apis/apps/v1/namespaces/default/statefulsets", statefulSet)
            #expect(created.status == 201)
            let spec = created.json["spec"]
            #expect(spec?["replicas"] == 1)
            #expect(spec?["podManagementPolicy"] == "OrderedReady")
            #expect(spec?["updateStrategy"] == ["type": "RollingUpdate", "rollingUpdate": ["partition": 0, "maxUnavailable": 1]])
            #expect(spec?["revisionHistoryLimit"] == 10)
            #expect(spec?["persistentVolumeClaimRetentionPolicy"] == ["whenDeleted": "Retain", "whenScaled": "Retain"])
            let claim = spec?["volumeClaimTemplates"]?[0]
            #expect(claim?["apiVersion"] == "v1")
            #expect(claim?["kind"] == "PersistentVolumeClaim")
            #expect(claim?["spec"]?["volumeMode"] == "Filesystem")
            #expect(claim?["status"] == ["phase": "Pending"])
            #expect(spec?["template"]?["spec"]?["dnsPolicy"] == "ClusterFirst")
            #expect(spec?["template"]?["spec"]?["containers"]?[0]?["imagePullPolicy"] == "IfNotPresent")
            #expect(spec?["template"]?["spec"]?["enableServiceLinks"] == nil)
            #expect(created.json["status"] == ["replicas": 0, "availableReplicas": 0])

            let replicaSet: JSONValue = [
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": ["name": "web"],
                "spec": ["selector": ["matchLabels": ["app": "db"]], "template": template],
            ]
            let rs = try await wire.post("/apis/apps/v1/namespaces/default/replicasets", replicaSet)
            #expect(rs.json["spec"]?["replicas"] == 1)
            #expect(rs.json["spec"]?["template"]?["spec"]?["schedulerName"] == "default-scheduler")
            #expect(rs.json["status"] == ["replicas": 0])

            // Updates are defaulted too: a PUT without the defaults gets them back.
            var body = statefulSet
            body["metadata"]?["resourceVersion"] = created.json["metadata"]?["resourceVersion"]
            body["spec"]?["replicas"] = 2
            let updated = try await wire.put("/apis/apps/v1/namespaces/default/statefulsets/db", body)
            #expect(updated.status == 200)
            #expect(updated.json["spec"]?["podManagementPolicy"] == "OrderedReady")
            #expect(updated.json["spec"]?["template"]?["spec"]?["restartPolicy"] == "Always")
            #expect(updated.json["metadata"]?["generation"] == 2)
        }
    }

    /// PATCH of `/scale` patches the Scale and answers with it (058).
    @Test func scaleSubresourceAsRecorded() async throws {
        try await withServer { server, wire in
            let replay = try Replayer("058-scale-subresource", server: server, wire: wire)
            for step in replay.recording.steps.indices {
                let differences = try await replay.mismatches(step)
                #expect(differences == [], "058: \(differences)")
            }
        }
    }

    @Test func validationMessagesAsRecorded() async throws {
        try await withServer { server, wire in
            // Service ports (018), names (016), label and configmap keys (017), immutable data (036).
            for name in ["018-invalid-service-port", "016-invalid-name", "017-invalid-labels-annotations"] {
                let replay = try Replayer(name, server: server, wire: wire)
                for step in replay.recording.steps.indices {
                    let differences = try await replay.mismatches(step)
                    #expect(differences == [], "\(name): \(differences)")
                }
            }
            let immutable = try Replayer("036-immutable-fields", server: server, wire: wire)
            for step in 0...4 {
                let differences = try await immutable.mismatches(step)
                #expect(differences == [], "036: \(differences)")
            }
            // A CSI driver name must be a DNS subdomain (kube's ValidateCSIDriverName).
            let pv: JSONValue = [
                "apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": "pv1"],
                "spec": ["capacity": ["storage": "1Gi"], "accessModes": ["ReadWriteOnce"], "csi": ["driver": "Bad_Driver!", "volumeHandle": "h"]],
            ]
            let refused = try await wire.post("/api/v1/persistentvolumes", pv)
            #expect(refused.status == 422)
            #expect(refused.statusObject?.message == #"PersistentVolume "pv1" is invalid: spec.csi.driver: Invalid value: "Bad_Driver!": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#)
            var good = pv
            good["spec"]?["csi"]?["driver"] = "ebs.csi.aws.com"
            #expect(try await wire.post("/api/v1/persistentvolumes", good).status == 201)
        }
    }
}
