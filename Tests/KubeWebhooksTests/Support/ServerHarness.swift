import AsyncHTTPClient
import Foundation
import KubeCore
import KubeWebhooks
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOSSL

/// Runs a ``WebhookServer`` on a free loopback port over a kubelet-style certificate
/// volume, for the duration of `body`; cancels it afterwards.
struct ServerHarness {
    let pki: TestPKI
    var volume: SecretVolume
    let server: WebhookServer
    let port: Int

    static func with<T: Sendable>(
        webhooks: [Webhook], maxRequestBodyBytes: Int = 64 * 1024, metrics: (any MetricsFactory)? = nil,
        _ body: (inout ServerHarness) async throws -> T
    ) async throws -> T {
        let pki = try TestPKI()
        let volume = try SecretVolume(initial: try pki.issueServing(commonName: "serving-1"))
        defer { volume.remove() }
        let server = WebhookServer(
            configuration: .init(
                host: "127.0.0.1", port: 0, certificateFile: volume.certificateFile, keyFile: volume.keyFile,
                certificateReloadInterval: .milliseconds(50), maxRequestBodyBytes: maxRequestBodyBytes,
                shutdownTimeout: .seconds(5)),
            webhooks: webhooks, logger: Logger(label: "webhook-test"), metricsFactory: metrics)
        let running = Task { try await server.run() }
        defer { running.cancel() }
        let port = try await server.listeningPort()
        var harness = ServerHarness(pki: pki, volume: volume, server: server, port: port)
        let result = try await body(&harness)
        running.cancel()
        _ = await running.result
        return result
    }

    /// An AsyncHTTPClient that trusts the test CA, speaking `version`.
    func client(_ version: HTTPClient.Configuration.HTTPVersion) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caPEM.utf8)))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = version
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Runs `body` with a client and always shuts it down (AsyncHTTPClient traps on a
    /// client dropped without shutdown).
    func withClient<T>(_ version: HTTPClient.Configuration.HTTPVersion, _ body: (HTTPClient) async throws -> T) async throws -> T {
        let client = try client(version)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    func url(_ path: String) -> String { "https://localhost:\(port)\(path)" }

    /// POSTs `body` to `path` and collects the response (status, HTTP version, body).
    static func post(_ client: HTTPClient, _ url: String, _ body: Data) async throws -> (HTTPResponseStatus, HTTPVersion, Data) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(20))
        let collected = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (response.status, response.version, Data(collected.readableBytesView))
    }

    static func get(_ client: HTTPClient, _ url: String) async throws -> (HTTPResponseStatus, String) {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(20))
        let collected = try await response.body.collect(upTo: 1024 * 1024)
        return (response.status, String(buffer: collected))
    }
}

