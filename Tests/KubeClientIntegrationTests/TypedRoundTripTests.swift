import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing

/// Typed models from `KubeModels` through `Api<K>` and back: what the client encodes is
/// what the server stores, and what it decodes equals what the server sent.
@Suite("Typed round trips", .timeLimit(.minutes(3)))
struct TypedRoundTripTests {
    /// Issue 12, item 11: a legacy core/v1 Event as kube-apiserver v1.36 serves it through
    /// `events.k8s.io/v1` (recording `115-core-event-read-as-events-v1`, step 2), with
    /// `"eventTime": null`: a typed list, get and watch of such Events must not fail.
    @Test func legacyEventWithNullEventTimeOverTheWire() async throws {
        try await Cluster.run { cluster in
            let recorded = #"""
                {"kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": {"name": "legacy", "namespace": "default"},
                 "eventTime": null, "reason": "BackOff",
                 "regarding": {"kind": "Pod", "namespace": "default", "name": "web-1", "uid": "11111111-2222-3333-4444-555555555555",
                               "apiVersion": "v1", "fieldPath": "spec.containers{web}"},
                 "note": "Back-off restarting failed container", "type": "Warning",
                 "deprecatedSource": {"component": "kubelet", "host": "node-1"},
                 "deprecatedFirstTimestamp": "2026-01-01T00:00:00Z", "deprecatedLastTimestamp": "2026-01-01T00:10:00Z",
                 "deprecatedCount": 7}
                """#
            try await cluster.server.apply(json: Data(recorded.utf8))
            let events = Api<Events.V1.Event>.namespaced(cluster.admin, "default")
            let listed = try await events.list()
            let event = try #require(listed.items.first { $0.metadata.name == "legacy" })
            #expect(event.eventTime == nil)
            #expect(event.deprecatedCount == 7)
            #expect(event.regarding?.name == "web-1")
            #expect(try await events.get("legacy").eventTime == nil)
            var seen: Events.V1.Event?
            for try await watched in try events.watch(WatchOptions(resourceVersion: "0", timeoutSeconds: 5)) {
                if let object = watched.object, object.metadata.name == "legacy" {
                    seen = object
                    break
                }
            }
            #expect(seen?.note == "Back-off restarting failed container")
            #expect(seen?.eventTime == nil)
        }
    }

    @Test func pod() async throws {
        try await Cluster.run { cluster in
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            let container = Core.V1.Container(
                args: ["--port", "8080"], command: ["/server"],
                env: [Core.V1.EnvVar(name: "MODE", value: "production"), Core.V1.EnvVar(name: "EMPTY", value: "")],
                image: "registry.example.com/web:1.2.3", imagePullPolicy: "Always", name: "web",
                ports: [Core.V1.ContainerPort(containerPort: 8080, name: "http", protocol: "TCP")],
                resources: Core.V1.ResourceRequirements(
                    limits: ["memory": try Quantity("256Mi")], requests: ["cpu": try Quantity("250m"), "memory": try Quantity("128Mi")]))
            let pod = Pod(
                metadata: ObjectMeta(name: "web-0", labels: ["app": "web"], annotations: ["note": "ünïcode ✓"]),
                spec: Core.V1.PodSpec(
                    containers: [container], nodeSelector: ["disk": "ssd"], restartPolicy: "Never", serviceAccountName: "default",
                    terminationGracePeriodSeconds: 5))
            let created = try await pods.create(pod)
            let fetched = try await pods.get("web-0")
            #expect(fetched == created)
            #expect(fetched.metadata.labels == pod.metadata.labels)
            #expect(fetched.metadata.annotations == pod.metadata.annotations)
            let spec = try #require(fetched.spec)
            #expect(spec.restartPolicy == "Never")
            #expect(spec.nodeSelector == ["disk": "ssd"])
            #expect(spec.terminationGracePeriodSeconds == 5)
            let web = try #require(spec.containers.first)
            #expect(web.name == container.name)
            #expect(web.image == container.image)
            #expect(web.command == container.command)
            #expect(web.args == container.args)
            #expect(web.env == container.env)
            #expect(web.ports == container.ports)
            #expect(web.resources == container.resources)
            #expect(fetched.status?.phase == "Pending")
            // Listed pods decode to the same values.
            #expect(try await pods.list().items == [fetched])
        }
    }

    @Test func deployment() async throws {
        try await Cluster.run { cluster in
            let deployments = Api<Deployment>.namespaced(cluster.admin, "default")
            var original = KubeClientIntegrationTests.deployment("api", replicas: 3)
            original.spec?.minReadySeconds = 10
            original.spec?.revisionHistoryLimit = 4
            original.spec?.strategy = Apps.V1.DeploymentStrategy(
                rollingUpdate: Apps.V1.RollingUpdateDeployment(maxSurge: .string("25%"), maxUnavailable: .int(0)), type: "RollingUpdate")
            let created = try await deployments.create(original)
            let fetched = try await deployments.get("api")
            #expect(fetched == created)
            let spec = try #require(fetched.spec)
            #expect(spec.replicas == 3)
            #expect(spec.minReadySeconds == 10)
            #expect(spec.revisionHistoryLimit == 4)
            #expect(spec.selector == original.spec?.selector)
            #expect(spec.strategy == original.spec?.strategy)
            #expect(spec.template.metadata?.labels == ["app": "api"])
            #expect(spec.template.spec?.containers.map(\.image) == ["nginx:1.27"])
            #expect(fetched.metadata.generation == 1)
        }
    }

    @Test func lease() async throws {
        try await Cluster.run { cluster in
            let leases = Api<Lease>.namespaced(cluster.admin, "kube-node-lease")
            // Microsecond precision, as leader election writes it.
            let acquired = MicroTime(Date(timeIntervalSince1970: 1_750_000_000.123456))
            let renewed = MicroTime(Date(timeIntervalSince1970: 1_750_000_007.654321))
            let lease = Lease(
                metadata: ObjectMeta(name: "controller-leader"),
                spec: Coordination.V1.LeaseSpec(
                    acquireTime: acquired, holderIdentity: "pod-a_1234", leaseDurationSeconds: 15, leaseTransitions: 2, renewTime: renewed))
            let created = try await leases.create(lease)
            let fetched = try await leases.get("controller-leader")
            #expect(fetched == created)
            #expect(fetched.metadata.namespace == "kube-node-lease")
            #expect(fetched.spec == lease.spec)
            #expect(fetched.spec?.renewTime?.description == "2025-06-15T15:06:47.654321Z")

            // Renewing with optimistic concurrency, as an elector does.
            var renewal = fetched
            renewal.spec?.renewTime = MicroTime(Date(timeIntervalSince1970: 1_750_000_009.5))
            let renewedLease = try await leases.replace("controller-leader", renewal)
            #expect(renewedLease.spec?.renewTime == renewal.spec?.renewTime)
            let lost = await #expect(throws: KubeError.self) { _ = try await leases.replace("controller-leader", renewal) }
            #expect(lost?.isConflict == true)
        }
    }
}
