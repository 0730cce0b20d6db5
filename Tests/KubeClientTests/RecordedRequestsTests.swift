import Foundation
import KubeCore
import KubeModels
import NIOSSL
import Testing

@testable import KubeClient

/// The requests our client builds, held to the requests recorded against a real
/// kube-apiserver v1.36 (`../shared/fixtures/apiserver-v1.36`): for each recorded step below,
/// the client performs the same operation through its typed API against a TLS server that
/// answers with the recorded response, and the request it sent must match the recorded one —
/// method, path, query (as a set of parameters; `watch=1` and `watch=true` are the same
/// boolean), the options a DELETE carries (query or `DeleteOptions` body: the server reads
/// both), `Content-Type` and the JSON body. The recorded response must then come back as the
/// typed value or as a `KubeError` with the recorded `reason`.
///
/// This breaks the circle of our client tested against our own server: both share request
/// building code, the recordings do not.
@Suite(.timeLimit(.minutes(3)))
struct RecordedRequestsTests {
    typealias Operation = @Sendable (_ client: KubeClient, _ namespace: String) async throws -> Void

    struct Case: Sendable, CustomTestStringConvertible {
        var exchange: String
        var step: Int
        var operation: Operation
        var testDescription: String { "\(exchange) step \(step)" }
    }

    static let namespace = "recorded-ns"

    static func configMap(_ name: String, data: [String: String]? = nil) -> Core.V1.ConfigMap {
        Core.V1.ConfigMap(data: data, metadata: ObjectMeta(name: name))
    }

    static func configMaps(_ client: KubeClient, _ namespace: String) -> Api<Core.V1.ConfigMap> { .namespaced(client, namespace) }
    static func deployments(_ client: KubeClient, _ namespace: String) -> Api<Apps.V1.Deployment> { .namespaced(client, namespace) }

    static let cases: [Case] = [
        // Lists: paging, resourceVersion semantics, selectors.
        Case(exchange: "030", step: 6) { c, ns in _ = try await configMaps(c, ns).list(ListOptions(limit: 2)) },
        Case(exchange: "030", step: 7) { c, ns in
            let token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTk3NzksInN0YXJ0IjoiL29iai0yXHUwMDAwIn0"
            _ = try await configMaps(c, ns).list(ListOptions(limit: 2, continueToken: token))
        },
        Case(exchange: "030", step: 8) { c, ns in
            _ = try await configMaps(c, ns).list(ListOptions(limit: 2, resourceVersion: "19779", resourceVersionMatch: .exact))
        },
        Case(exchange: "031", step: 1) { c, ns in
            _ = try await configMaps(c, ns).list(ListOptions(resourceVersion: "2", resourceVersionMatch: .exact))
        },
        Case(exchange: "077", step: 8) { c, ns in
            _ = try await configMaps(c, ns).list(ListOptions(labelSelector: try LabelSelector(parsing: "p=x"), limit: 1))
        },
        Case(exchange: "021", step: 1) { c, ns in
            _ = try await configMaps(c, ns).list(ListOptions(fieldSelector: try FieldSelector(parsing: "spec.foo=bar")))
        },
        // Watches, with and without bookmarks.
        Case(exchange: "032", step: 1) { c, ns in
            try await drain(configMaps(c, ns).watch(WatchOptions(resourceVersion: "2", timeoutSeconds: 2, allowWatchBookmarks: false)))
        },
        Case(exchange: "032", step: 2) { c, ns in
            try await drain(configMaps(c, ns).watch(WatchOptions(resourceVersion: "2", timeoutSeconds: 2)))
        },
        // Creates with field validation and a field manager; a cluster-scoped create.
        Case(exchange: "072", step: 1) { c, ns in
            _ = try await configMaps(c, ns).create(configMap("mix", data: ["a": "1"]), options: WriteOptions(fieldManager: "creator"))
        },
        Case(exchange: "094", step: 3) { c, ns in
            var lease = Coordination.V1.Lease(metadata: ObjectMeta(name: "l"))
            lease.spec = Coordination.V1.LeaseSpec(holderIdentity: "me", leaseDurationSeconds: 10)
            _ = try await Api<Coordination.V1.Lease>.namespaced(c, ns).create(lease)
        },
        Case(exchange: "100", step: 4) { c, ns in
            let attributes = Authorization.V1.ResourceAttributes(namespace: ns, resource: "configmaps", verb: "list")
            let review = Authorization.V1.SelfSubjectAccessReview(
                metadata: ObjectMeta(), spec: Authorization.V1.SelfSubjectAccessReviewSpec(resourceAttributes: attributes))
            _ = try await Api<Authorization.V1.SelfSubjectAccessReview>.cluster(c).create(review)
        },
        // Replace.
        Case(exchange: "015", step: 2) { c, ns in
            var object = configMap("c1", data: ["a": "2"])
            object.metadata.resourceVersion = "19722"
            _ = try await configMaps(c, ns).replace("c1", object)
        },
        Case(exchange: "056", step: 6) { c, ns in _ = try await configMaps(c, ns).replace("missing", configMap("missing", data: ["v": "1"])) },
        Case(exchange: "064", step: 1) { c, ns in
            var lease = Coordination.V1.Lease(metadata: ObjectMeta(name: "l"))
            lease.spec = Coordination.V1.LeaseSpec(holderIdentity: "a")
            _ = try await Api<Coordination.V1.Lease>.namespaced(c, ns).replace("l", lease)
        },
        // Patches of each type, server-side apply with a manager and force, status and scale.
        Case(exchange: "065", step: 2) { c, ns in
            _ = try await configMaps(c, ns).patch("j", .json([.add("/data/c", "3"), .replace("/data/a", "one")]))
        },
        Case(exchange: "065", step: 3) { c, ns in _ = try await configMaps(c, ns).patch("j", .json([.remove("/data/b")])) },
        Case(exchange: "065", step: 4) { c, ns in
            _ = try await configMaps(c, ns).patch("j", .json([.add("/metadata/labels", [:]), .add("/metadata/labels/example.com~1tier", "web")]))
        },
        Case(exchange: "015", step: 4) { c, ns in
            _ = try await configMaps(c, ns).patch("c1", .merge(["metadata": ["resourceVersion": "1"], "data": ["a": "4"]]))
        },
        Case(exchange: "012", step: 4) { c, ns in _ = try await configMaps(c, ns).patch("nope", .merge(["data": ["a": "b"]])) },
        Case(exchange: "075", step: 6) { c, ns in
            _ = try await configMaps(c, ns).patch("s", .strategic(["data": ["a": nil, "c": "3"]]))
        },
        Case(exchange: "067", step: 2) { c, ns in
            let container: JSONValue = ["name": "web", "image": "registry.example/nginx:1.28"]
            _ = try await deployments(c, ns).patch("web", .strategic(["spec": ["template": ["spec": ["containers": [container]]]]]))
        },
        Case(exchange: "071", step: 1) { c, ns in
            let body: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "ssa"], "data": ["a": "1", "b": "2"]]
            _ = try await configMaps(c, ns).patch("ssa", .apply(body), options: PatchOptions(fieldManager: "alice"))
        },
        Case(exchange: "071", step: 4) { c, ns in
            let body: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "ssa"], "data": ["a": "bob"]]
            _ = try await configMaps(c, ns).patch("ssa", .apply(body), options: PatchOptions(fieldManager: "bob", force: true))
        },
        Case(exchange: "072", step: 7) { c, ns in
            _ = try await deployments(c, ns).patchStatus(
                "web", .merge(["status": ["replicas": 1]]), options: PatchOptions(fieldManager: "status-writer"))
        },
        Case(exchange: "058", step: 4) { c, ns in
            _ = try await deployments(c, ns).patchScale("web", .merge(["spec": ["replicas": 6]]))
        },
        // Deletes: plain, propagation policies, grace period, preconditions, collections, cluster-scoped.
        Case(exchange: "059", step: 3) { c, ns in _ = try await configMaps(c, ns).delete("plain") },
        Case(exchange: "012", step: 2) { c, ns in _ = try await configMaps(c, ns).delete("nope") },
        Case(exchange: "033", step: 2) { c, ns in _ = try await Api<Core.V1.Namespace>.cluster(c).delete(ns) },
        Case(exchange: "061", step: 4) { c, ns in _ = try await deployments(c, ns).delete("bg", options: DeleteOptions(propagationPolicy: .background)) },
        Case(exchange: "061", step: 6) { c, ns in _ = try await deployments(c, ns).delete("fg", options: DeleteOptions(propagationPolicy: .foreground)) },
        Case(exchange: "061", step: 8) { c, ns in _ = try await deployments(c, ns).delete("orphan", options: DeleteOptions(propagationPolicy: .orphan)) },
        Case(exchange: "063", step: 3) { c, ns in _ = try await Api<Core.V1.Pod>.namespaced(c, ns).delete("p1", options: DeleteOptions(gracePeriodSeconds: 30)) },
        Case(exchange: "062", step: 4) { c, ns in
            let preconditions = Preconditions(uid: "830c9e60-ac5e-48e9-a7aa-89dafab98c85", resourceVersion: "19940")
            _ = try await configMaps(c, ns).delete("pre", options: DeleteOptions(gracePeriodSeconds: 0, preconditions: preconditions))
        },
        Case(exchange: "062", step: 2) { c, ns in
            _ = try await configMaps(c, ns).delete("pre", options: DeleteOptions(preconditions: Preconditions(uid: "00000000-1111-2222-3333-444444444444")))
        },
        Case(exchange: "060", step: 6) { c, ns in
            _ = try await configMaps(c, ns).deleteCollection(listOptions: ListOptions(labelSelector: try LabelSelector(parsing: "tier=a")))
        },
        Case(exchange: "060", step: 9) { c, ns in
            _ = try await configMaps(c, ns).deleteCollection(
                options: DeleteOptions(dryRun: true), listOptions: ListOptions(labelSelector: try LabelSelector(parsing: "tier in (b,c)")))
        },
        Case(exchange: "051", step: 5) { c, ns in _ = try await Api<Scheduling.V1.PriorityClass>.cluster(c).delete("\(ns)-high") },
    ]

    /// Reads a watch to its end; an `ERROR` event ends it as a thrown ``WatchErrorEvent``.
    static func drain<K>(_ stream: WatchStream<K>) async throws {
        for try await event in stream {
            if case .error(let status) = event { throw WatchErrorEvent(status: status) }
        }
    }

    struct WatchErrorEvent: Error { var status: Status }

    @Test(arguments: cases)
    func theClientSendsTheRecordedRequest(_ testCase: Case) async throws {
        guard let directory = RecordedExchanges.directory else {
            if RecordedExchanges.requiredByCI { Issue.record("the recordings are missing: set SHARED_DIR or check out ../shared") }
            return
        }
        let step = try RecordedExchanges.step(testCase.step, of: testCase.exchange, in: directory, namespace: Self.namespace)
        let server = try await Self.tlsServer(answering: step)
        let client = try KubeClient(config: ClientConfig(
            server: server.httpsURL, namespace: Self.namespace, tls: .init(certificateAuthority: .pem(Self.pki.caPEM)),
            credentials: .token("recorded-requests"), retry: RetryPolicy(maxAttempts: 1)))
        // The outcome as (status code, reason): a KubeError, or a watch's ERROR event.
        var outcome: (code: Int?, reason: String?)?
        do {
            try await testCase.operation(client, Self.namespace)
        } catch let error as KubeError {
            outcome = (error.statusCode, error.reason)
        } catch let event as WatchErrorEvent {
            outcome = (event.status.code, event.status.reason)
        }
        try await client.shutdown()
        await server.shutdown()

        let requests = server.requests
        try #require(requests.count == 1, "expected one request, got \(requests.map { "\($0.method) \($0.uri)" })")
        let sent = requests[0]
        #expect(sent.method == step.method)
        #expect(sent.path == step.path)
        #expect(RecordedExchanges.options(sent) == step.options, "query and delete options differ")
        if step.method == "DELETE" {
            // client-go, too, sends DeleteOptions as a body; the server reads options from either place.
            #expect(sent.body.isEmpty || sent.header("Content-Type") == "application/json")
        } else {
            #expect(sent.header("Content-Type") == step.contentType)
        }
        if let recordedBody = step.body, step.method != "DELETE" {
            let body = try JSONDecoder().decode(JSONValue.self, from: sent.body)
            #expect(RecordedExchanges.withoutEmptyMetadata(body) == recordedBody, "the body differs:\n sent     \(body)\n recorded \(recordedBody)")
        }
        // The recorded answer comes back as a value, or as the recorded error.
        if let expected = step.failure {
            #expect(outcome?.code == expected.code && outcome?.reason == expected.reason,
                    "expected a failure \(expected.code) \(expected.reason ?? "-"), got \(String(describing: outcome))")
        } else {
            #expect(outcome == nil, "the recorded \(step.status) answer failed: \(String(describing: outcome))")
        }
    }

    static let pki: (caPEM: String, certificatePEM: String, keyPEM: String) = try! Fixtures.servingPKI(caName: "recorded-requests-ca")

    static func tlsServer(answering step: RecordedExchanges.Step) async throws -> StubServer {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.keyPEM.utf8), format: .pem)))
        configuration.applicationProtocols = ["http/1.1"]
        let response = StubServer.Response(status: step.status, headers: [("Content-Type", step.responseContentType)], chunks: [.data(step.responseBody)])
        return try await StubServer.start(tls: try NIOSSLContext(configuration: configuration)) { _ in response }
    }
}
