import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing

/// Every error class over the wire: the server's `Status` mapped to `KubeError`, retries
/// where they belong, and fast failures where they do not.
@Suite("Errors over the wire", .timeLimit(.minutes(3)))
struct ErrorTests {
    @Test func notFoundAndAlreadyExists() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let missing = await #expect(throws: KubeError.self) { _ = try await configMaps.get("nope") }
            #expect(missing?.isNotFound == true)
            #expect(missing?.statusCode == 404)
            #expect(missing?.message == "configmaps \"nope\" not found")
            #expect(missing?.status?.details?.name == "nope")

            let deployments = Api<Deployment>.namespaced(cluster.admin, "default")
            let missingDeployment = await #expect(throws: KubeError.self) { _ = try await deployments.get("nope") }
            #expect(missingDeployment?.message == "deployments.apps \"nope\" not found")

            let inMissingNamespace = await #expect(throws: KubeError.self) {
                _ = try await Api<ConfigMap>.namespaced(cluster.admin, "no-such-namespace").create(configMap("x"))
            }
            #expect(inMissingNamespace?.isNotFound == true)

            _ = try await configMaps.create(configMap("twice"))
            let duplicate = await #expect(throws: KubeError.self) { _ = try await configMaps.create(configMap("twice")) }
            #expect(duplicate?.isAlreadyExists == true)
            #expect(duplicate?.isConflict == false)
            #expect(duplicate?.statusCode == 409)
            #expect(duplicate?.status?.details?.name == "twice")
        }
    }

    @Test func invalidCarriesTheCauses() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let nameless = await #expect(throws: KubeError.self) { _ = try await configMaps.create(ConfigMap()) }
            #expect(nameless?.isInvalid == true)
            #expect(nameless?.statusCode == 422)
            #expect(nameless?.status?.details?.causes?.contains { $0.field == "metadata.name" } == true)

            let badLabels = await #expect(throws: KubeError.self) {
                _ = try await configMaps.create(configMap("Not_A_Valid_Name", labels: ["bad key!": "x"]))
            }
            #expect(badLabels?.isInvalid == true)
            let fields = Set(badLabels?.status?.details?.causes?.compactMap(\.field) ?? [])
            #expect(fields.contains("metadata.name"))
            #expect(fields.contains("metadata.labels"))

            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            let noContainers = await #expect(throws: KubeError.self) {
                _ = try await pods.create(Pod(metadata: ObjectMeta(name: "empty"), spec: Core.V1.PodSpec(containers: [])))
            }
            #expect(noContainers?.isInvalid == true)
            #expect(noContainers?.status?.details?.causes?.contains { $0.field?.hasPrefix("spec.containers") == true } == true)
        }
    }

    @Test func expiredContinueTokenIsGone() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            for index in 0..<5 { _ = try await configMaps.create(configMap("item-\(index)")) }
            let first = try await configMaps.list(ListOptions(limit: 2))
            let token = try #require(first.metadata.continue)
            _ = try await configMaps.create(configMap("after"))
            await cluster.server.faults.compactHistory()
            let expired = await #expect(throws: KubeError.self) { _ = try await configMaps.list(ListOptions(limit: 2, continueToken: token)) }
            #expect(expired?.isGone == true)
            #expect(expired?.statusCode == 410)
            #expect(expired?.reason == StatusReason.expired)
        }
    }

    @Test func serviceAccountWithoutPermissionIsForbidden() async throws {
        try await Cluster.run { cluster in
            let pod = try await cluster.podFilesystem(serviceAccount: "reader")
            let client = try cluster.client(try cluster.inClusterConfig(pod))
            #expect(client.namespace == "default")
            let forbidden = await #expect(throws: KubeError.self) { _ = try await Api<Secret>.default(client).list() }
            #expect(forbidden?.isForbidden == true)
            #expect(forbidden?.statusCode == 403)
            #expect(
                forbidden?.message
                    == "secrets is forbidden: User \"system:serviceaccount:default:reader\" cannot list resource \"secrets\" in API group \"\" in the namespace \"default\"")
            // Authenticated all the same: the self review names the service account.
            let review = try await Api<SelfSubjectReview>.cluster(client).create(SelfSubjectReview())
            #expect(review.status?.userInfo?.username == "system:serviceaccount:default:reader")
        }
    }

    @Test
    func roleGrantsExactlyWhatItSays() async throws {
        try await Cluster.run { cluster in
            let pod = try await cluster.podFilesystem(serviceAccount: "elector")
            try await cluster.grant(pod, verbs: ["get", "list", "watch", "create", "update"], resources: ["leases"], apiGroups: ["coordination.k8s.io"])
            try await cluster.grant(pod, verbs: ["get", "list"], resources: ["configmaps"])
            let client = try cluster.client(try cluster.inClusterConfig(pod))
            _ = try await Api<ConfigMap>.namespaced(cluster.admin, "default").create(configMap("shared"))

            let configMaps = Api<ConfigMap>.default(client)
            #expect(try await configMaps.get("shared").metadata.name == "shared")
            #expect(try await configMaps.list().items.contains { $0.metadata.name == "shared" })
            let noWrite = await #expect(throws: KubeError.self) { _ = try await configMaps.create(configMap("mine")) }
            #expect(noWrite?.isForbidden == true)
            #expect(noWrite?.message.contains("cannot create resource \"configmaps\"") == true)
            let otherNamespace = await #expect(throws: KubeError.self) { _ = try await Api<ConfigMap>.namespaced(client, "kube-system").list() }
            #expect(otherNamespace?.isForbidden == true)

            // A leader elector's round trip through the service account.
            let leases = Api<Lease>.default(client)
            let lease = try await leases.create(Lease(metadata: ObjectMeta(name: "leader"), spec: Coordination.V1.LeaseSpec(holderIdentity: "pod-a", leaseDurationSeconds: 15)))
            var renewed = lease
            renewed.spec?.renewTime = MicroTime.now()
            #expect(try await leases.replace("leader", renewed).spec?.holderIdentity == "pod-a")
            let noDelete = await #expect(throws: KubeError.self) { _ = try await leases.delete("leader") }
            #expect(noDelete?.isForbidden == true)
        }
    }

    @Test func garbageTokenIsUnauthorized() async throws {
        try await Cluster.run { cluster in
            var config = try cluster.adminConfig()
            config.credentials = .token("not-a-token")
            let client = try cluster.client(config)
            let refused = await #expect(throws: KubeError.self) { _ = try await Api<ConfigMap>.namespaced(client, "default").list() }
            #expect(refused?.isUnauthorized == true)
            #expect(refused?.statusCode == 401)
            #expect(refused?.description.contains("not-a-token") == false)

            // A token file holding garbage: one re-read and retry after the 401, then the error.
            let pod = try await cluster.podFilesystem()
            let garbage = pod.directory + "/..data/token"
            try Data("garbage.garbage.garbage".utf8).write(to: URL(fileURLWithPath: garbage))
            let podClient = try cluster.client(try cluster.inClusterConfig(pod))
            let podRefused = await #expect(throws: KubeError.self) { _ = try await Api<SelfSubjectReview>.cluster(podClient).create(SelfSubjectReview()) }
            #expect(podRefused?.isUnauthorized == true)
        }
    }

    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            _ = try await configMaps.create(configMap("busy"))
            cluster.server.faults.failNextRequests(1, status: 429, retryAfterSeconds: 1, pathContains: "/configmaps/busy")
            let started = ContinuousClock.now
            let fetched = try await configMaps.get("busy")
            let elapsed = ContinuousClock.now - started
            #expect(fetched.metadata.name == "busy")
            #expect(elapsed >= .seconds(1), "waited \(elapsed)")
            #expect(elapsed < .seconds(10), "waited \(elapsed)")

            // A create (its body replays) is retried the same way.
            cluster.server.faults.failNextRequests(1, status: 429, retryAfterSeconds: 1, pathContains: "/configmaps")
            let createdAt = ContinuousClock.now
            _ = try await configMaps.create(configMap("after-429"))
            #expect(ContinuousClock.now - createdAt >= .seconds(1))

            // Bounded: more 429s than attempts surface as the error.
            var config = try cluster.adminConfig()
            config.retry = RetryPolicy(maxAttempts: 2)
            let impatient = Api<ConfigMap>.namespaced(try cluster.client(config), "default")
            cluster.server.faults.failNextRequests(5, status: 429, retryAfterSeconds: 0, pathContains: "/configmaps/busy")
            let throttled = await #expect(throws: KubeError.self) { _ = try await impatient.get("busy") }
            #expect(throttled?.isTooManyRequests == true)
            #expect(throttled?.status?.details?.retryAfterSeconds == 0)
            cluster.server.faults.clear()
        }
    }

    @Test func serverErrorsWithRetryAfterAreRetried() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            _ = try await configMaps.create(configMap("flaky"))
            cluster.server.faults.failNextRequests(2, status: 503, retryAfterSeconds: 0, pathContains: "/configmaps/flaky")
            cluster.server.faults.failNextRequests(1, status: 500, retryAfterSeconds: 0, pathContains: "/configmaps/flaky")
            #expect(try await configMaps.get("flaky").metadata.name == "flaky")

            // Without Retry-After a 5xx is final (client-go's rule): the caller sees it at once.
            cluster.server.faults.failNextRequests(1, status: 500, pathContains: "/configmaps/flaky")
            let internalError = await #expect(throws: KubeError.self) { _ = try await configMaps.get("flaky") }
            #expect(internalError?.isInternalError == true)
            cluster.server.faults.failNextRequests(1, status: 503, pathContains: "/configmaps/flaky")
            let unavailable = await #expect(throws: KubeError.self) { _ = try await configMaps.get("flaky") }
            #expect(unavailable?.isServiceUnavailable == true)
            #expect(try await configMaps.get("flaky").metadata.name == "flaky")
        }
    }

    @Test func nonJSONAnswerIsADecodingError() async throws {
        try await Cluster.run { cluster in
            // The server answers `/healthz` with plain text: asked for JSON, the client says it does not decode.
            let request = KubeRequest(method: .get, path: "/healthz", headers: ["Accept": "application/json"], verb: "get")
            let plain = try await cluster.admin.send(request)
            #expect(String(decoding: plain.body, as: UTF8.self) == "ok")
            let error = await #expect(throws: KubeError.self) { _ = try await cluster.admin.request(request, as: ServerVersion.self) }
            #expect(error?.code == .decoding)
            #expect(error?.message.contains("/healthz") == true)
        }
    }

    @Test func certificateFromAnotherCAFailsFast() async throws {
        try await Cluster.run { cluster in
            var configuration = KubeTestServer.Configuration()
            configuration.logger = Cluster.quietLogger("other-server")
            let other = try await KubeTestServer.start(configuration)
            defer { Task { await other.shutdown() } }
            // The kubeconfig of the first server, pointed at the second one: its certificate is signed by another CA.
            var config = try cluster.adminConfig()
            config.server = other.url
            let client = try cluster.client(config)
            let started = ContinuousClock.now
            let error = await #expect(throws: KubeError.self) { _ = try await client.version() }
            let elapsed = ContinuousClock.now - started
            #expect(error?.code == .tlsVerification)
            #expect(error?.message.contains("not signed by the configured certificate authority") == true)
            // About 30 ms on an idle loopback; far below one retry (1 s).
            #expect(elapsed < .seconds(3), "took \(elapsed)")
            await other.shutdown()
        }
    }

    @Test func unreachableServerFailsQuicklyOrRecovers() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            _ = try await configMaps.create(configMap("survivor"))
            try await cluster.server.stopListener(0)

            // A write is never retried on a refused connection: it fails at once.
            let started = ContinuousClock.now
            let refused = await #expect(throws: KubeError.self) { _ = try await configMaps.create(configMap("lost")) }
            #expect(refused?.code == .transport)
            #expect(ContinuousClock.now - started < .seconds(3))

            // A GET with connection retries off fails just as quickly.
            var config = try cluster.adminConfig()
            config.retry = RetryPolicy(retryConnectionErrors: false)
            let noRetry = Api<ConfigMap>.namespaced(try cluster.client(config), "default")
            let getStarted = ContinuousClock.now
            let getRefused = await #expect(throws: KubeError.self) { _ = try await noRetry.get("survivor") }
            #expect(getRefused?.code == .transport)
            #expect(ContinuousClock.now - getStarted < .seconds(3))

            // By default a GET rides out an API server restart (retries once a second).
            let pending = Task { try await configMaps.get("survivor") }
            try await Task.sleep(for: .milliseconds(300))
            try await cluster.server.startListener(0)
            let survivor = try await withDeadline(15) { try await pending.value }
            #expect(survivor.metadata.name == "survivor")
        }
    }
}
