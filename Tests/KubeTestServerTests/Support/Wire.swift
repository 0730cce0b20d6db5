import AsyncHTTPClient
import Foundation
import KubeCore
import NIOCore
import NIOHTTP1
import NIOSSL
@testable import KubeTestServer

/// A response as the tests look at it.
struct WireResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    var version: HTTPVersion

    var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: body)) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
    var statusObject: Status? { try? JSONDecoder().decode(Status.self, from: body) }
}

/// A real HTTPS client (AsyncHTTPClient) trusting only the server's CA.
final class Wire: Sendable {
    let client: HTTPClient
    let base: String
    let token: String?

    init(server: KubeTestServer, token: String?, clientCertificate: (cert: String, key: String)? = nil, baseURL: String? = nil) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(server.caCertificatePEM.utf8), format: .pem)])
        if let clientCertificate {
            tls.certificateChain = [.certificate(try NIOSSLCertificate(bytes: Array(clientCertificate.cert.utf8), format: .pem))]
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(clientCertificate.key.utf8), format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        base = baseURL ?? server.url
        self.token = token
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    func request(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String = "application/json",
        headers extra: [(String, String)] = [], token: String? = nil
    ) async throws -> WireResponse {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let bearer = token ?? self.token { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        var collected = try await response.body.collect(upTo: 64 << 20)
        let bytes = collected.readBytes(length: collected.readableBytes) ?? []
        return WireResponse(status: Int(response.status.code), headers: response.headers, body: Data(bytes), version: response.version)
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> WireResponse {
        try await request(.GET, path, headers: headers)
    }

    func post(_ path: String, _ json: JSONValue) async throws -> WireResponse {
        try await request(.POST, path, body: JSONWriter.data(json))
    }

    func put(_ path: String, _ json: JSONValue) async throws -> WireResponse {
        try await request(.PUT, path, body: JSONWriter.data(json))
    }

    func delete(_ path: String, _ json: JSONValue? = nil) async throws -> WireResponse {
        try await request(.DELETE, path, body: json.map(JSONWriter.data))
    }

    /// Opens a watch and returns the events as they arrive (one JSON object per line).
    func watch(_ path: String) async throws -> WatchReader {
        var request = HTTPClientRequest(url: base + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await client.execute(request, timeout: .seconds(60))
        return WatchReader(status: Int(response.status.code), headers: response.headers, body: response.body)
    }
}

/// Splits a watch body into events, whatever the chunking.
struct WatchReader: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: HTTPClientResponse.Body

    /// The events until the stream ends (or `limit` events, or `timeout`).
    func events(limit: Int = .max, timeout: Duration = .seconds(20)) async throws -> [JSONValue] {
        try await lines(limit: limit, timeout: timeout).map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
    }

    /// The event lines as sent, until the stream ends (or `limit` lines, or `timeout`).
    func lines(limit: Int = .max, timeout: Duration = .seconds(20)) async throws -> [String] {
        try await withThrowingTaskGroup(of: [String]?.self) { group in
            group.addTask {
                var lines: [String] = []
                var buffer: [UInt8] = []
                for try await chunk in body {
                    buffer += chunk.readableBytesView
                    while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                        lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
                        buffer.removeSubrange(...newline)
                        if lines.count >= limit { return lines }
                    }
                }
                return lines
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let lines = first else { throw WatchTimeout() }
            return lines
        }
    }
}

struct WatchTimeout: Error {}

/// Starts a server, runs `body` with an admin client, and always shuts both down.
func withServer(
    _ configure: (inout KubeTestServer.Configuration) -> Void = { _ in },
    _ body: (KubeTestServer, Wire) async throws -> Void
) async throws {
    var configuration = KubeTestServer.Configuration()
    configure(&configuration)
    let server = try await KubeTestServer.start(configuration)
    let wire = try Wire(server: server, token: server.adminToken)
    do {
        try await body(server, wire)
    } catch {
        await wire.shutdown()
        await server.shutdown()
        throw error
    }
    await wire.shutdown()
    await server.shutdown()
}

func configMap(_ name: String, namespace: String = "default", labels: [String: String] = [:], data: [String: String] = ["k": "v"]) -> JSONValue {
    var metadata: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace)]
    if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues(JSONValue.string)) }
    return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": .object(metadata), "data": .object(data.mapValues(JSONValue.string))]
}
