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

/// Scenario `webhook`: validating AdmissionReviews (a Pod, the `:latest` policy) posted to a
/// `WebhookServer` in a child process over TLS on loopback, 64 at a time: as HTTP/2 streams on
/// one connection, and on 64 HTTP/1.1 connections. Reviews/s, p50/p99 latency, and the CPU time
/// per review of the server process and of the load generator.
struct WebhookReviews: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Validating reviews/s and latency: 64 HTTP/2 streams, and 64 HTTP/1.1 connections, over TLS.")

    @Option(help: "Reviews per run.")
    var reviews = 20_000

    @Option(help: "Timed runs of each mode.")
    var runs = 3

    @Option(help: "Reviews in flight (HTTP/2 streams, or HTTP/1.1 connections).")
    var concurrency = 64

    enum LoadGenerator: String, ExpressibleByArgument, CaseIterable {
        /// Raw NIO channels, every step on the event loop (`WebhookLoad`): the default, so that
        /// the figure is the server's.
        case nio
        /// AsyncHTTPClient, as an application would call a server.
        case asynchttpclient
        /// nghttp2's h2load (C; `apt-get install nghttp2-client`), the cheapest per review, so
        /// that the least of the shared cores goes to the generator (`H2Load`).
        case h2load
    }

    @Option(help: "The load generator: nio (raw NIO channels, the default), asynchttpclient, or h2load (nghttp2-client).")
    var loadGenerator = LoadGenerator.nio

    @Option(help: .hidden)
    var serve: String?

    func validate() throws {
        guard runs >= 1, reviews >= 1, concurrency >= 1 else { throw ValidationError("--runs, --reviews and --concurrency must be at least 1") }
    }

    func run() async throws {
        if let serve { return try await Self.serve(certificates: serve) }
        let h2load = loadGenerator == .h2load ? H2Load.path : nil
        if loadGenerator == .h2load, h2load == nil {
            throw BenchError("--load-generator h2load needs h2load on the PATH (apt-get install nghttp2-client)")
        }
        let directory = NSTemporaryDirectory() + "kube-bench-webhook-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let caPEM = try Self.writeServingPair(to: directory)
        let bodyFile = directory + "/review.json"
        try Data(Self.reviewBody()).write(to: URL(fileURLWithPath: bodyFile))
        // The server in a process of its own, so that its CPU time is its own.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Sibling.selfPath)
        server.arguments = ["webhook", "--serve", directory]
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        var text = ""
        while !text.contains("\n") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { throw BenchError("the webhook server exited before it listened: \(text)") }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let port = Int(text.split(separator: "\n")[0].split(separator: " ").last ?? "") else {
            throw BenchError("the webhook server printed no port: \(text)")
        }
        let body = ByteBuffer(bytes: Self.reviewBody())
        let roots = try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8))
        for mode in ["http2", "http1"] {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(roots)
            tls.applicationProtocols = mode == "http2" ? ["h2"] : ["http/1.1"]
            let target = WebhookLoad.Target(host: "localhost", port: port, path: "/validate-pods", body: body, tls: try NIOSSLContext(configuration: tls))
            let client = loadGenerator == .asynchttpclient ? Self.client(mode: mode, roots: roots, concurrency: concurrency) : nil
            do {
                let url = "https://localhost:\(port)/validate-pods"
                // Each review's latency in ms, the run's seconds, and the generator's CPU ms.
                let measure = { (count: Int, timed: Bool) async throws -> (latencies: [Double], seconds: Double, clientCPU: Double) in
                    if let h2load, timed {
                        let run = try H2Load.run(h2load, url: url, bodyFile: bodyFile, reviews: count, inFlight: concurrency, http1: mode == "http1")
                        return (run.latencies, run.seconds, run.cpuMilliseconds)
                    }
                    let (clientBefore, start) = (CPUTime.ownMilliseconds(), ContinuousClock.now)
                    let latencies: [Double]
                    if let client {
                        latencies = try await Self.measure(client, url: url, body: body, reviews: count, inFlight: concurrency)
                    } else {
                        // The warm-up of h2load's runs too: this generator checks that the review is allowed.
                        latencies = mode == "http2"
                            ? try await WebhookLoad.http2(target, reviews: count, inFlight: concurrency)
                            : try await WebhookLoad.http1(target, reviews: count, inFlight: concurrency)
                    }
                    return (latencies, milliseconds(ContinuousClock.now - start) / 1000, CPUTime.ownMilliseconds() - clientBefore)
                }
                _ = try await measure(min(reviews, 2_000), false)  // warm-up
                var rates: [Double] = [], p50: [Double] = [], p99: [Double] = [], serverCPU: [Double] = [], clientCPU: [Double] = []
                for _ in 0..<runs {
                    let serverBefore = CPUTime.milliseconds(of: server.processIdentifier)
                    let run = try await measure(reviews, true)
                    rates.append(Double(reviews) / run.seconds)
                    serverCPU.append((CPUTime.milliseconds(of: server.processIdentifier) - serverBefore) * 1000 / Double(reviews))
                    clientCPU.append(run.clientCPU * 1000 / Double(reviews))
                    p50.append(Stats.percentile(run.latencies, 50))
                    p99.append(Stats.percentile(run.latencies, 99))
                }
                let shape = mode == "http2" ? "\(concurrency) HTTP/2 streams" : "\(concurrency) HTTP/1.1 connections"
                let generator = switch loadGenerator {
                case .nio: ("", "raw NIO channels, own process")
                case .asynchttpclient: (", AsyncHTTPClient", "AsyncHTTPClient, own process")
                case .h2load: (", h2load", "h2load (nghttp2), own process")
                }
                print(
                    JSONLine().string("scenario", "webhook").string("server", "KubeWebhooks")
                        .string("mode", shape + generator.0)
                        .string("load_generator", generator.1)
                        .int("in_flight", concurrency).stats("reviews_per_s", Stats(rates)).stats("p50_ms", Stats(p50))
                        .stats("p99_ms", Stats(p99)).number("server_cpu_us_per_review", Stats(serverCPU).median)
                        .number("client_cpu_us_per_review", Stats(clientCPU).median).int("reviews", reviews).int("runs", runs)
                        .raw("machine", Machine.current().json).text)
            } catch {
                try? await client?.shutdown()
                throw error
            }
            try await client?.shutdown()
        }
    }

    /// The child: the `:latest` policy on a `WebhookServer` with the pair in `certificates`;
    /// prints `listening PORT` and serves until it is terminated.
    static func serve(certificates directory: String) async throws {
        let policy = Webhook.validate(Pod.self, path: "/validate-pods", name: "deny-latest") { request in
            request.object?.spec?.containers.contains { $0.image?.hasSuffix(":latest") == true } == true
                ? .deny("images must be pinned, not :latest") : .allow
        }
        let server = WebhookServer(
            configuration: .init(host: "127.0.0.1", port: 0, certificateFile: directory + "/tls.crt", keyFile: directory + "/tls.key"),
            webhooks: [policy], logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        async let running: Void = server.run()
        // Unbuffered: the parent waits for this line.
        FileHandle.standardOutput.write(Data("listening \(try await server.listeningPort())\n".utf8))
        try await running
    }

    static func client(mode: String, roots: [NIOSSLCertificate], concurrency: Int) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(roots)
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = mode == "http2" ? .automatic : .http1Only
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Each review's latency in ms through AsyncHTTPClient; every answer must allow.
    static func measure(_ client: HTTPClient, url: String, body: ByteBuffer, reviews: Int, inFlight: Int) async throws -> [Double] {
        try await withThrowingTaskGroup(of: [Double].self) { group in
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
