import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import KubeCore
import KubeModels
import KubeWebhooks
import Logging
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// Scenario `webhook`: validating AdmissionReviews (a Pod, the `:latest` policy) posted to an
/// in-process `WebhookServer` over TLS on loopback, 64 at a time: as HTTP/2 streams on one
/// connection, and on 64 HTTP/1.1 connections. Reviews/s and p50/p99 latency.
struct WebhookReviews: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Validating reviews/s and latency: 64 HTTP/2 streams, and 64 HTTP/1.1 connections, over TLS.")

    @Option(help: "Reviews per run.")
    var reviews = 20_000

    @Option(help: "Timed runs of each mode.")
    var runs = 3

    @Option(help: "Reviews in flight (HTTP/2 streams, or HTTP/1.1 connections).")
    var concurrency = 64

    func validate() throws {
        guard runs >= 1, reviews >= 1, concurrency >= 1 else { throw ValidationError("--runs, --reviews and --concurrency must be at least 1") }
    }

    func run() async throws {
        let directory = NSTemporaryDirectory() + "kube-bench-webhook-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let caPEM = try Self.writeServingPair(to: directory)
        let policy = Webhook.validate(Pod.self, path: "/validate-pods", name: "deny-latest") { request in
            request.object?.spec?.containers.contains { $0.image?.hasSuffix(":latest") == true } == true
                ? .deny("images must be pinned, not :latest") : .allow
        }
        let server = WebhookServer(
            configuration: .init(host: "127.0.0.1", port: 0, certificateFile: directory + "/tls.crt", keyFile: directory + "/tls.key"),
            webhooks: [policy], logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await server.run() }
        defer { running.cancel() }
        let port = try await server.listeningPort()
        let url = "https://localhost:\(port)/validate-pods"
        let body = ByteBuffer(bytes: Self.reviewBody())
        for mode in ["http2", "http1"] {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.httpVersion = mode == "http2" ? .automatic : .http1Only
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            do {
                _ = try await Self.measure(client, url: url, body: body, reviews: min(reviews, 2_000), inFlight: concurrency)  // warm-up
                var rates: [Double] = [], p50: [Double] = [], p99: [Double] = []
                for _ in 0..<runs {
                    let (rate, latencies) = try await Self.measure(client, url: url, body: body, reviews: reviews, inFlight: concurrency)
                    rates.append(rate)
                    p50.append(Stats.percentile(latencies, 50))
                    p99.append(Stats.percentile(latencies, 99))
                }
                print(
                    JSONLine().string("scenario", "webhook").string("server", "KubeWebhooks")
                        .string("mode", mode == "http2" ? "\(concurrency) HTTP/2 streams" : "\(concurrency) HTTP/1.1 connections")
                        .int("in_flight", concurrency).stats("reviews_per_s", Stats(rates)).stats("p50_ms", Stats(p50))
                        .stats("p99_ms", Stats(p99)).int("reviews", reviews).int("runs", runs)
                        .raw("machine", Machine.current().json).text)
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
        running.cancel()
        _ = await running.result
    }

    /// Reviews/s over the run and each review's latency in ms; every answer must allow.
    static func measure(_ client: HTTPClient, url: String, body: ByteBuffer, reviews: Int, inFlight: Int) async throws -> (Double, [Double]) {
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for worker in 0..<inFlight {
                let share = reviews / inFlight + (worker < reviews % inFlight ? 1 : 0)
                group.addTask {
                    var latencies: [Double] = []
                    latencies.reserveCapacity(share)
                    for _ in 0..<share {
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(body)
                        let begin = ContinuousClock.now
                        let response = try await client.execute(request, timeout: .seconds(30))
                        let answer = try await response.body.collect(upTo: 1 << 20)
                        guard response.status == .ok, answer.readableBytesView.firstRange(of: Array(#""allowed":true"#.utf8)) != nil else {
                            throw BenchError("the webhook did not allow the review (HTTP \(response.status.code))")
                        }
                        latencies.append(milliseconds(ContinuousClock.now - begin))
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
        return (Double(reviews) / (milliseconds(ContinuousClock.now - start) / 1000), latencies)
    }

    /// A CREATE review of a two-container Pod, as kube-apiserver sends it.
    static func reviewBody() -> [UInt8] {
        let container = #"{"name":"NAME","image":"registry.example.com/team/NAME:1.27.3","ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"64Mi"}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}"#
        let containers = ["web", "sidecar"].map { container.replacingOccurrences(of: "NAME", with: $0) }.joined(separator: ",")
        let pod = #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7d9f","namespace":"default","labels":{"app":"web","team":"payments"}},"spec":{"containers":["# + containers + #"],"restartPolicy":"Always","dnsPolicy":"ClusterFirst","serviceAccountName":"default"}}"#
        let review = #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"requestKind":{"group":"","version":"v1","kind":"Pod"},"requestResource":{"group":"","version":"v1","resource":"pods"},"namespace":"default","operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller","groups":["system:serviceaccounts","system:authenticated"]},"object":"# + pod + #","oldObject":null,"dryRun":false,"options":{"apiVersion":"meta.k8s.io/v1","kind":"CreateOptions"}}}"#
        return Array(review.utf8)
    }

    /// A CA and a serving pair for `localhost` in `directory` (`tls.crt`, `tls.key`); returns the CA's PEM.
    static func writeServingPair(to directory: String) throws -> String {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("kube-bench-webhook-ca") }
        let now = Date()
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey), notValidBefore: now - 60, notValidAfter: now + 86_400,
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            }, issuerPrivateKey: .init(caKey))
        let key = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 60, notValidAfter: now + 86_400,
            issuer: caName, subject: try DistinguishedName { CommonName("localhost") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            }, issuerPrivateKey: .init(caKey))
        try leaf.serializeAsPEM().pemString.write(toFile: directory + "/tls.crt", atomically: true, encoding: .utf8)
        try key.pemRepresentation.write(toFile: directory + "/tls.key", atomically: true, encoding: .utf8)
        return try ca.serializeAsPEM().pemString
    }
}
