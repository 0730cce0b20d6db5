import AsyncHTTPClient
import Foundation
import KubeCore
import KubeModels
import Logging
import MetricsTestKit
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

@testable import KubeWebhooks

@Suite("WebhookServer over TLS", .timeLimit(.minutes(3)))
struct WebhookServerTests {
    static let denyLatest = Webhook.validate(Pod.self, path: "/validate-pods") { request in
        let images = request.object?.spec?.containers.compactMap(\.image) ?? []
        if let latest = images.first(where: { $0.hasSuffix(":latest") }) { return .deny("image \(latest) uses :latest") }
        return .allow
    }

    static let addTeamLabel = Webhook.mutate(Pod.self, path: "/mutate-pods") { _, pod in
        pod.metadata.labels = (pod.metadata.labels ?? [:]).merging(["team": "payments"]) { _, new in new }
    }

    @Test(arguments: [HTTPClient.Configuration.HTTPVersion.http1Only, .automatic])
    func reviewsOverHTTP1AndHTTP2(version: HTTPClient.Configuration.HTTPVersion) async throws {
        try await ServerHarness.with(webhooks: [Self.denyLatest, Self.addTeamLabel]) { running in
            let harness = running
            try await harness.withClient(version) { client in
                let expected: HTTPVersion = version == .http1Only ? .http1_1 : .http2
                // Several concurrent reviews: streams on one HTTP/2 connection, or pooled HTTP/1.1 connections.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<16 {
                        group.addTask {
                            let image = index.isMultiple(of: 2) ? "nginx:1.27" : "nginx:latest"
                            let (status, httpVersion, body) = try await ServerHarness.post(
                                client, harness.url("/validate-pods"),
                                Reviews.admission(uid: "uid-\(index)", object: Reviews.pod(image: image)))
                            #expect(status == .ok)
                            #expect(httpVersion == expected)
                            let response = try #require(try JSONDecoder().decode(AdmissionReview.self, from: body).response)
                            #expect(response.uid == "uid-\(index)")
                            #expect(response.allowed == index.isMultiple(of: 2))
                            if !response.allowed { #expect(response.status?.message == "image nginx:latest uses :latest") }
                        }
                    }
                    try await group.waitForAll()
                }
                let (status, _, body) = try await ServerHarness.post(
                    client, harness.url("/mutate-pods"), Reviews.admission(object: Reviews.pod(extra: ["x-unknown": 1])))
                #expect(status == .ok)
                let response = try #require(try JSONDecoder().decode(AdmissionReview.self, from: body).response)
                let patch = try #require(response.patch)
                #expect(String(decoding: patch, as: UTF8.self) == #"[{"op":"add","path":"/metadata/labels/team","value":"payments"}]"#)
            }
        }
    }

    /// A handler past its timeout is answered by the connection loop's timer (a 504 denial)
    /// and cancelled, and the same connection goes on to serve a handler that suspends and
    /// resumes, and one that never suspends.
    @Test(arguments: [HTTPClient.Configuration.HTTPVersion.http1Only, .automatic])
    func aHandlerPastItsTimeoutIsDeniedAndCancelled(version: HTTPClient.Configuration.HTTPVersion) async throws {
        let cancelled = Mutex(false)
        let slow = Webhook.validate(Pod.self, path: "/slow", timeout: .milliseconds(300)) { _ in
            do {
                try await Task.sleep(for: .seconds(30))
            } catch {
                cancelled.withLock { $0 = true }
                throw error
            }
            return .allow
        }
        let resuming = Webhook.validate(Pod.self, path: "/resuming") { _ in
            try await Task.sleep(for: .milliseconds(20))
            return .allow(warnings: ["resumed"])
        }
        try await ServerHarness.with(webhooks: [slow, resuming, Self.denyLatest]) { running in
            let harness = running
            try await harness.withClient(version) { client in
                let started = ContinuousClock.now
                let (status, _, body) = try await ServerHarness.post(
                    client, harness.url("/slow"), Reviews.admission(uid: "slow-1", object: Reviews.pod()))
                #expect(ContinuousClock.now - started < .seconds(10))
                #expect(status == .ok)
                let timedOut = try #require(try JSONDecoder().decode(AdmissionReview.self, from: body).response)
                #expect(timedOut.uid == "slow-1" && !timedOut.allowed)
                #expect(timedOut.status?.code == 504)
                #expect(timedOut.status?.message == "webhook /slow did not answer within 0.3 seconds")
                let deadline = ContinuousClock.now + .seconds(10)
                while !cancelled.withLock({ $0 }) && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(cancelled.withLock { $0 })

                let (_, _, resumedBody) = try await ServerHarness.post(
                    client, harness.url("/resuming"), Reviews.admission(uid: "resumed-1", object: Reviews.pod()))
                let resumed = try #require(try JSONDecoder().decode(AdmissionReview.self, from: resumedBody).response)
                #expect(resumed.uid == "resumed-1" && resumed.allowed && resumed.warnings == ["resumed"])
                let (_, _, deniedBody) = try await ServerHarness.post(
                    client, harness.url("/validate-pods"), Reviews.admission(uid: "latest-1", object: Reviews.pod(image: "nginx:latest")))
                let denied = try #require(try JSONDecoder().decode(AdmissionReview.self, from: deniedBody).response)
                #expect(denied.uid == "latest-1" && !denied.allowed && denied.status?.message == "image nginx:latest uses :latest")
            }
        }
    }

    @Test func healthReadinessAndRoutes() async throws {
        try await ServerHarness.with(webhooks: [Self.denyLatest]) { harness in
            try await harness.withClient(.http1Only) { client in
                let health = try await ServerHarness.get(client, harness.url("/healthz"))
                #expect(health.0 == .ok && health.1 == "ok")
                let ready = try await ServerHarness.get(client, harness.url("/readyz"))
                #expect(ready.0 == .ok)
                #expect(try await ServerHarness.get(client, harness.url("/nope")).0 == .notFound)
                #expect(try await ServerHarness.get(client, harness.url("/validate-pods")).0 == .methodNotAllowed)
            }
        }
    }

    @Test func badInputIsAnsweredOverTheWire() async throws {
        try await ServerHarness.with(webhooks: [Self.denyLatest, widgetConversion], maxRequestBodyBytes: 32 * 1024) { harness in
            for version in [HTTPClient.Configuration.HTTPVersion.http1Only, .automatic] {
                try await harness.withClient(version) { client in
                    // Over the limit: the body is not buffered, the answer is a 413 denial.
                    let big = Reviews.admission(uid: "big", object: Reviews.pod(extra: ["pad": .string(String(repeating: "y", count: 200 * 1024))]))
                    let (status, _, body) = try await ServerHarness.post(client, harness.url("/validate-pods"), big)
                    #expect(status == .ok)
                    let tooLarge = try #require(try JSONDecoder().decode(AdmissionReview.self, from: body).response)
                    #expect(!tooLarge.allowed && tooLarge.status?.code == 413)
                    // Malformed JSON.
                    let (malformedStatus, _, malformedBody) = try await ServerHarness.post(client, harness.url("/validate-pods"), Data("{]".utf8))
                    #expect(malformedStatus == .ok)
                    let malformed = try #require(try JSONDecoder().decode(AdmissionReview.self, from: malformedBody).response)
                    #expect(!malformed.allowed && malformed.status?.code == 400)
                    // A conversion review that is not one.
                    let (conversionStatus, _, _) = try await ServerHarness.post(client, harness.url("/convert"), Data("[]".utf8))
                    #expect(conversionStatus == .badRequest)
                    // The connection survived all of it.
                    #expect(try await ServerHarness.get(client, harness.url("/healthz")).0 == .ok)
                }
            }
        }
    }

    @Test func tls11IsRefused() async throws {
        try await ServerHarness.with(webhooks: [Self.denyLatest]) { harness in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(harness.pki.caPEM.utf8)))
            tls.maximumTLSVersion = .tlsv11
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            await #expect(throws: (any Error).self) {
                _ = try await client.execute(HTTPClientRequest(url: harness.url("/healthz")), timeout: .seconds(3))
            }
            try? await client.shutdown()
        }
    }

    @Test func certificateRotationBySymlinkSwapKeepsOpenConnections() async throws {
        try await ServerHarness.with(webhooks: [Self.denyLatest]) { harness in
            let old = try await RawTLSConnection.connect(port: harness.port, caPEM: harness.pki.caPEM)
            #expect(old.servedCommonName == "serving-1")
            #expect(try await old.get("/healthz") == "HTTP/1.1 200 OK")

            try harness.volume.rotate(to: try harness.pki.issueServing(commonName: "serving-2"))
            let rotated = try await Self.waitForServedName("serving-2", harness: harness)
            #expect(rotated)
            // The connection made before the swap still works, with its old certificate.
            #expect(try await old.get("/healthz") == "HTTP/1.1 200 OK")
            #expect(old.servedCommonName == "serving-1")

            // A broken pair (a half-written file) is not taken: the last good one stays.
            try harness.volume.rotate(to: (certificate: "-----BEGIN CERTIFICATE-----\nnope\n", key: "garbage"))
            try await Task.sleep(for: .milliseconds(300))
            let after = try await RawTLSConnection.connect(port: harness.port, caPEM: harness.pki.caPEM)
            #expect(after.servedCommonName == "serving-2")
            #expect(try await after.get("/readyz") == "HTTP/1.1 200 OK")
            await after.close()
            await old.close()
        }
    }

    static func waitForServedName(_ name: String, harness: ServerHarness) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let probe = try await RawTLSConnection.connect(port: harness.port, caPEM: harness.pki.caPEM)
            let served = probe.servedCommonName
            await probe.close()
            if served == name { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func gracefulShutdownFinishesAnInFlightReview() async throws {
        let (started, startedContinuation) = AsyncStream<Void>.makeStream()
        let slow = Webhook.validate(Pod.self, path: "/slow") { _ in
            startedContinuation.yield()
            try await Task.sleep(for: .milliseconds(700))
            return .allow(warnings: ["slow but done"])
        }
        let pki = try TestPKI()
        let volume = try SecretVolume(initial: try pki.issueServing(commonName: "serving-1"))
        defer { volume.remove() }
        let metrics = TestMetrics()
        let server = WebhookServer(
            configuration: .init(
                host: "127.0.0.1", port: 0, certificateFile: volume.certificateFile, keyFile: volume.keyFile,
                shutdownTimeout: .seconds(10)),
            webhooks: [slow], logger: Logger(label: "webhook-test"), metricsFactory: metrics)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                let port = try await server.listeningPort()
                let harness = ServerHarness(pki: pki, volume: volume, server: server, port: port)
                try await harness.withClient(.automatic) { client in
                    let review = Task {
                        try await ServerHarness.post(client, harness.url("/slow"), Reviews.admission(uid: "in-flight", object: Reviews.pod()))
                    }
                    for await _ in started { break }
                    trigger.triggerGracefulShutdown()
                    // Readiness drops at once, so the Service stops routing here.
                    try await Task.sleep(for: .milliseconds(100))
                    #expect(!server.isReady)
                    let (status, _, body) = try await review.value
                    #expect(status == .ok)
                    let response = try #require(try JSONDecoder().decode(AdmissionReview.self, from: body).response)
                    #expect(response.uid == "in-flight" && response.allowed && response.warnings == ["slow but done"])
                    try await group.next()
                    // Stopped: no new connection is accepted.
                    await #expect(throws: (any Error).self) {
                        _ = try await RawTLSConnection.connect(port: port, caPEM: pki.caPEM)
                    }
                }
            }
        }
        let counter = try metrics.expectCounter(
            "kube_webhook_reviews_total", [("webhook", "/slow"), ("operation", "CREATE"), ("result", "allowed")])
        #expect(counter.totalValue == 1)
        let timer = try metrics.expectTimer("kube_webhook_review_duration_seconds", [("webhook", "/slow")])
        #expect((timer.lastValue ?? 0) >= 700_000_000)
    }

    @Test func startupFailuresAreTypedErrors() async throws {
        let missing = WebhookServer(
            configuration: .init(host: "127.0.0.1", port: 0, certificateFile: "/nonexistent/tls.crt", keyFile: "/nonexistent/tls.key"),
            webhooks: [Self.denyLatest])
        await #expect { try await missing.run() } throws: { ($0 as? WebhookServerError)?.isCertificateUnreadable == true }
        await #expect { _ = try await missing.listeningPort() } throws: { ($0 as? WebhookServerError)?.isNotRunning == true }

        let pki = try TestPKI()
        let volume = try SecretVolume(initial: (certificate: "not a certificate", key: "not a key"))
        defer { volume.remove() }
        let invalid = WebhookServer(
            configuration: .init(host: "127.0.0.1", port: 0, certificateFile: volume.certificateFile, keyFile: volume.keyFile),
            webhooks: [Self.denyLatest])
        await #expect { try await invalid.run() } throws: { ($0 as? WebhookServerError)?.isCertificateInvalid == true }
        _ = pki
    }

    @Test func theDefaultsAreTheConventionalOnes() {
        let configuration = WebhookServer.Configuration()
        #expect(configuration.certificateFile == "/tmp/k8s-webhook-server/serving-certs/tls.crt")
        #expect(configuration.keyFile == "/tmp/k8s-webhook-server/serving-certs/tls.key")
        #expect(configuration.port == 9443)
        #expect(configuration.maxRequestBodyBytes == 7 * 1024 * 1024)
        #expect(Self.denyLatest.timeout == .seconds(10))
    }
}
