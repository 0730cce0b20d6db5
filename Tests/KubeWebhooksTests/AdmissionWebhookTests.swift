import APIServerSemantics
import Foundation
import KubeCore
import KubeModels
import Logging
import Testing

@testable import KubeWebhooks

@Suite("Admission webhooks (router, no network)", .timeLimit(.minutes(2)))
struct AdmissionWebhookTests {
    let logger = Logger(label: "test")

    func router(_ webhooks: Webhook...) -> WebhookRouter {
        WebhookRouter(webhooks: webhooks, maxRequestBodyBytes: 64 * 1024, logger: logger)
    }

    @Test func validateAllowsDeniesAndWarns() async throws {
        let router = router(.validate(Pod.self, path: "/validate") { request in
            let image = request.object?.spec?.containers.first?.image ?? ""
            if image.hasSuffix(":latest") { return .deny("image \(image) uses :latest", code: 422) }
            if image.hasPrefix("docker.io/") { return .allow(warnings: ["docker.io is rate-limited"]) }
            return .allow
        })
        let allowed = try Reviews.response(await router.respond(method: "POST", path: "/validate", body: Reviews.admission(uid: "u-allow", object: Reviews.pod())))
        #expect(allowed.uid == "u-allow")
        #expect(allowed.allowed && allowed.status == nil && allowed.patch == nil && allowed.warnings == nil)

        let denied = try Reviews.response(await router.respond(method: "POST", path: "/validate", body: Reviews.admission(uid: "u-deny", object: Reviews.pod(image: "nginx:latest"))))
        #expect(denied.uid == "u-deny")
        #expect(!denied.allowed)
        #expect(denied.status?.message == "image nginx:latest uses :latest")
        #expect(denied.status?.code == 422)

        let warned = try Reviews.response(await router.respond(method: "POST", path: "/validate", body: Reviews.admission(object: Reviews.pod(image: "docker.io/nginx"))))
        #expect(warned.allowed && warned.warnings == ["docker.io is rate-limited"])
    }

    @Test func theRequestCarriesEverythingTheReviewSaid() async throws {
        let seen = Box<AdmissionRequest<Pod>?>(nil)
        let router = router(.validate(Pod.self, path: "/v") { request in
            seen.value = request
            return .allow
        })
        let body = Reviews.admission(
            operation: "UPDATE", object: Reviews.pod(image: "nginx:2"), oldObject: Reviews.pod(image: "nginx:1"),
            dryRun: true, subResource: "status", namespace: "team-a")
        _ = await router.respond(method: "POST", path: "/v", body: body)
        let request = try #require(seen.value)
        #expect(request.operation == .update)
        #expect(request.object?.spec?.containers.first?.image == "nginx:2")
        #expect(request.oldObject?.spec?.containers.first?.image == "nginx:1")
        #expect(request.dryRun)
        #expect(request.subResource == "status")
        #expect(request.namespace == "team-a")
        #expect(request.name == "web-1")
        #expect(request.userInfo.username == "alice")
        #expect(request.userInfo.groups == ["system:authenticated", "devs"])
        #expect(request.userInfo.extra == ["scopes": ["a"]])
        #expect(request.kind == GroupVersionKind(group: "", version: "v1", kind: "Pod"))
        #expect(request.resource.resource == "pods")
    }

    @Test func deleteHasOnlyTheOldObject() async throws {
        let seen = Box<(Bool, String?)?>(nil)
        let router = router(.validate(Pod.self, path: "/v") { request in
            seen.value = (request.object == nil, request.oldObject?.metadata.name)
            return .allow
        })
        _ = await router.respond(method: "POST", path: "/v", body: Reviews.admission(operation: "DELETE", object: nil, oldObject: Reviews.pod(name: "gone")))
        #expect(seen.value?.0 == true)
        #expect(seen.value?.1 == "gone")
    }

    @Test func mutateComputesThePatchAndKeepsUnknownFields() async throws {
        let router = router(.mutate(Deployment.self, path: "/mutate") { _, deployment in
            deployment.metadata.labels = (deployment.metadata.labels ?? [:]).merging(["team": "payments"]) { _, new in new }
            deployment.spec?.template.spec?.containers.insert(Core.V1.Container(image: "envoy:1", name: "sidecar"), at: 0)
            deployment.spec?.template.spec?.containers[1].image = "app:2"
        })
        // Fields Deployment's Swift type does not know, at the top, in metadata's sibling,
        // inside a container that moves from index 0 to 1, and in spec.
        let received: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "namespace": "default", "labels": ["app": "web", "example.com/a~b": "x"]],
            "futureField": ["keep": true],
            "spec": [
                "replicas": 2, "selector": ["matchLabels": ["app": "web"]], "newSpecField": 7,
                "template": [
                    "metadata": ["labels": ["app": "web"]],
                    "spec": ["containers": [["name": "app", "image": "app:1", "containerFutureField": "stay"]]],
                ],
            ],
        ]
        let http = await router.respond(method: "POST", path: "/mutate", body: Reviews.admission(
            kind: ("apps", "v1", "Deployment"), resource: "deployments", object: received))
        let response = try Reviews.response(http)
        #expect(response.allowed)
        #expect(response.patchType == "JSONPatch")
        let patch = try unwrap(response.patch, "patch")
        let result = try JSONPatch.apply(patch, to: received)
        #expect(result["futureField"] == ["keep": true])
        #expect(result["spec"]?["newSpecField"] == 7)
        #expect(result["metadata"]?["labels"] == ["app": "web", "example.com/a~b": "x", "team": "payments"])
        let containers = try unwrap(result["spec"]?["template"]?["spec"]?["containers"]?.arrayValue, "containers")
        #expect(containers.count == 2)
        #expect(containers[0] == ["name": "sidecar", "image": "envoy:1"])
        #expect(containers[1] == ["name": "app", "image": "app:2", "containerFutureField": "stay"])
        // Minimal: nothing but the three changes (no rewrite of the whole object).
        let operations = try JSONDecoder().decode([JSONValue].self, from: patch)
        #expect(operations.count == 3, "\(operations)")
    }

    @Test func aMutationThatChangesNothingHasNoPatch() async throws {
        let router = router(.mutate(Pod.self, path: "/m") { _, pod in
            pod.metadata.labels?["app"] = "web"  // already so
        })
        let response = try Reviews.response(await router.respond(method: "POST", path: "/m", body: Reviews.admission(object: Reviews.pod(extra: ["unknown": 1]))))
        #expect(response.allowed && response.patch == nil && response.patchType == nil)
    }

    @Test func mutateIsNotCalledWithoutAnObject() async throws {
        let called = Box(false)
        let router = router(.mutate(Pod.self, path: "/m") { _, _ in called.value = true })
        let response = try Reviews.response(await router.respond(method: "POST", path: "/m", body: Reviews.admission(operation: "DELETE", object: nil, oldObject: Reviews.pod())))
        #expect(response.allowed && response.patch == nil)
        #expect(!called.value)
    }

    @Test func aThrowingHandlerDeniesWithItsMessage() async throws {
        struct QuotaExceeded: Error, CustomStringConvertible { var description: String { "quota exceeded for team-a" } }
        let router = router(
            .validate(Pod.self, path: "/throws") { _ in throw QuotaExceeded() },
            .validate(Pod.self, path: "/status") { _ in throw Status(message: "conflict", reason: "Conflict", code: 409) },
            .mutate(Pod.self, path: "/denied") { _, _ in throw AdmissionDenied("no pods on Fridays", code: 400) })
        let thrown = try Reviews.response(await router.respond(method: "POST", path: "/throws", body: Reviews.admission(uid: "t1", object: Reviews.pod())))
        #expect(thrown.uid == "t1" && !thrown.allowed)
        #expect(thrown.status?.message == "quota exceeded for team-a")
        #expect(thrown.status?.code == 403)
        let status = try Reviews.response(await router.respond(method: "POST", path: "/status", body: Reviews.admission(object: Reviews.pod())))
        #expect(status.status?.code == 409 && status.status?.reason == "Conflict")
        let denied = try Reviews.response(await router.respond(method: "POST", path: "/denied", body: Reviews.admission(object: Reviews.pod())))
        #expect(!denied.allowed && denied.status?.message == "no pods on Fridays" && denied.status?.code == 400)
    }

    @Test func anObjectThatDoesNotDecodeIsABadRequest() async throws {
        let router = router(.validate(Pod.self, path: "/v") { _ in .allow })
        let object: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "x"], "spec": ["containers": "not-a-list"]]
        let response = try Reviews.response(await router.respond(method: "POST", path: "/v", body: Reviews.admission(uid: "bad-obj", object: object)))
        #expect(response.uid == "bad-obj" && !response.allowed)
        #expect(response.status?.code == 400)
        #expect(response.status?.message?.contains("cannot decode object as Pod") == true)
    }

    @Test func aSlowHandlerIsAnsweredAtItsTimeout() async throws {
        let router = router(.validate(Pod.self, path: "/slow", timeout: .milliseconds(200)) { _ in
            // Ignores cancellation on purpose: the answer must not wait for it.
            let end = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(20)) }
            return .allow
        })
        let start = ContinuousClock.now
        let response = try Reviews.response(await router.respond(method: "POST", path: "/slow", body: Reviews.admission(uid: "slow-1", object: Reviews.pod())))
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(response.uid == "slow-1" && !response.allowed)
        #expect(response.status?.code == 504)
        #expect(response.status?.message?.contains("did not answer within") == true)
    }

    @Test func malformedReviewsAreAnsweredNotCrashed() async throws {
        let router = router(.validate(Pod.self, path: "/v") { _ in .allow })
        // Not JSON at all.
        let garbage = try Reviews.response(await router.respond(method: "POST", path: "/v", body: Data("{not json".utf8)))
        #expect(!garbage.allowed && garbage.uid == "" && garbage.status?.code == 400)
        // Wrong apiVersion (v1beta1 is not served); the uid is still echoed.
        var old = try JSONValue.read(from: Reviews.admission(uid: "beta", object: Reviews.pod()))
        old["apiVersion"] = "admission.k8s.io/v1beta1"
        let beta = try Reviews.response(await router.respond(method: "POST", path: "/v", body: Reviews.json(old)))
        #expect(!beta.allowed && beta.uid == "beta" && beta.status?.code == 400)
        #expect(beta.status?.message?.contains("admission.k8s.io/v1beta1") == true)
        // No request.
        let empty = try Reviews.response(await router.respond(method: "POST", path: "/v", body: Data(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.utf8)))
        #expect(!empty.allowed && empty.status?.message == "the AdmissionReview has no request")
        // A request missing required fields names the field.
        let partial = try Reviews.response(await router.respond(method: "POST", path: "/v", body: Data(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"p1"}}"#.utf8)))
        #expect(!partial.allowed && partial.uid == "p1" && partial.status?.message?.contains("missing") == true)
        // An empty body.
        let nothing = try Reviews.response(await router.respond(method: "POST", path: "/v", body: Data()))
        #expect(!nothing.allowed && nothing.status?.code == 400)
    }

    @Test func bodiesOverTheLimitPathsAndMethods() async throws {
        let router = router(.validate(Pod.self, path: "/v") { _ in .allow })
        let big = Reviews.admission(object: Reviews.pod(extra: ["padding": .string(String(repeating: "x", count: 70 * 1024))]))
        let tooLarge = try Reviews.response(await router.respond(method: "POST", path: "/v", body: big))
        #expect(!tooLarge.allowed && tooLarge.status?.code == 413)
        #expect(await router.respond(method: "POST", path: "/nope", body: Data()).status == 404)
        #expect(await router.respond(method: "GET", path: "/v", body: Data()).status == 405)
        // A query string does not change the route.
        let allowed = try Reviews.response(await router.respond(method: "POST", path: "/v?timeout=10s", body: Reviews.admission(object: Reviews.pod())))
        #expect(allowed.allowed)
    }

    @Test func theResponseIsAnAdmissionReviewV1() async throws {
        let router = router(.validate(Pod.self, path: "/v") { _ in .allow })
        let http = await router.respond(method: "POST", path: "/v", body: Reviews.admission(object: Reviews.pod()))
        #expect(http.status == 200 && http.contentType == "application/json")
        let value = try JSONValue.read(from: http.body)
        #expect(value["apiVersion"] == "admission.k8s.io/v1")
        #expect(value["kind"] == "AdmissionReview")
    }
}

struct Missing: Error, CustomStringConvertible {
    let description: String
}

/// The value, or a test failure naming `what`.
func unwrap<T>(_ value: T?, _ what: String) throws -> T {
    guard let value else { throw Missing(description: "\(what) is missing") }
    return value
}

/// A mutable box for what a handler saw (handlers are @Sendable).
final class Box<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
