import AsyncHTTPClient
import Foundation
import KubeTestServer
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// Sends recorded requests over HTTPS the way the recorder did: `User-Agent:
/// golden-recorder/1.0`, `Accept-Encoding: identity`, only the recorded `Accept` and
/// `Content-Type`, and the credentials of the step's identity.
final class ReplayClient: Sendable {
    /// Who sends a request.
    enum Identity: Hashable, Sendable {
        /// The recorder's admin: a client certificate of `ceo-admin` in `system:masters`.
        case admin
        case serviceAccount(namespace: String, name: String)
        case anonymous
        case badToken

        init?(_ text: String) {
            switch text {
            case "admin": self = .admin
            case "anonymous": self = .anonymous
            case "bad-token": self = .badToken
            default:
                guard text.hasPrefix("sa:") else { return nil }
                let parts = text.dropFirst(3).split(separator: "/", maxSplits: 1)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
                self = .serviceAccount(namespace: String(parts[0]), name: String(parts[1]))
            }
        }
    }

    struct Request: Sendable {
        var method: String
        var path: String
        var query: String
        var accept: String?
        var contentType: String?
        var body: String?
        var bearer: String?
        var certificate: Bool
        var watch: Bool
        /// For a watch: how long to read before giving up on the server closing it.
        var watchLimit: Duration
    }

    static let userAgent = "golden-recorder/1.0"

    private let base: String
    private let admin: HTTPClient
    private let plain: HTTPClient

    init(server: KubeTestServer) throws {
        let certificate = try server.issueClientCertificate(user: "ceo-admin", groups: ["system:masters"])
        let root = try NIOSSLCertificate(bytes: Array(server.caCertificatePEM.utf8), format: .pem)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([root])
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        configuration.decompression = .disabled
        plain = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        tls.certificateChain = [.certificate(try NIOSSLCertificate(bytes: Array(certificate.certificatePEM.utf8), format: .pem))]
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem))
        configuration.tlsConfiguration = tls
        admin = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        base = server.url
    }

    func shutdown() async {
        try? await admin.shutdown()
        try? await plain.shutdown()
    }

    /// Sends one request and reads the whole answer (a watch until the server ends it or `watchLimit` passes).
    func send(_ request: Request) async throws -> ReplayedResponse {
        let encodedPath = request.path.addingPercentEncoding(withAllowedCharacters: Self.pathCharacters) ?? request.path
        var outgoing = HTTPClientRequest(url: base + encodedPath + (request.query.isEmpty ? "" : "?" + request.query))
        outgoing.method = HTTPMethod(rawValue: request.method)
        outgoing.headers.add(name: "User-Agent", value: Self.userAgent)
        outgoing.headers.add(name: "Accept-Encoding", value: "identity")
        if let accept = request.accept { outgoing.headers.add(name: "Accept", value: accept) }
        if let contentType = request.contentType { outgoing.headers.add(name: "Content-Type", value: contentType) }
        if let bearer = request.bearer { outgoing.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body = request.body {
            outgoing.body = .bytes(ByteBuffer(string: body))
        }
        let client = request.certificate ? admin : plain
        let response = try await client.execute(outgoing, timeout: .seconds(60))
        var replayed = ReplayedResponse(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
            warnings: response.headers["Warning"], retryAfter: response.headers.first(name: "Retry-After"), body: Data())
        replayed.isWatch = request.watch
        let body = response.body
        let limit = request.watch ? request.watchLimit : .seconds(60)
        let (bytes, complete) = try await Self.read(body, limit: limit)
        replayed.body = bytes
        replayed.watchCutShort = !complete
        return replayed
    }

    /// Reads a body until it ends (`true`) or `limit` passes (`false`, with what arrived).
    private static func read(_ body: HTTPClientResponse.Body, limit: Duration) async throws -> (Data, Bool) {
        let collected = Collected()
        let complete = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for try await chunk in body { collected.append(chunk) }
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        return (collected.data, complete)
    }

    /// `/` and the characters kube-apiserver paths use, kept; everything else percent-encoded.
    static let pathCharacters: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "/-._~:@!$&'()*+,;=")
        return set
    }()

    /// Query keys and values: unreserved characters kept, everything else percent-encoded.
    static let queryCharacters: CharacterSet = {
        var set = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        set.insert(charactersIn: "-._~")
        return set
    }()

    /// A recorded `query`: an object (keys percent-encoded in order), a raw string, or `null`.
    static func queryString(_ query: ReplayJSON?) -> String {
        switch query {
        case .object(let members):
            return members.map { member in
                let value: String
                switch member.value {
                case .string(let text): value = text
                case .number(let text): value = text
                case .bool(let flag): value = flag ? "true" : "false"
                default: value = ""
                }
                return encode(member.key) + "=" + encode(value)
            }.joined(separator: "&")
        case .string(let raw):
            return raw.hasPrefix("?") ? String(raw.dropFirst()) : raw
        default:
            return ""
        }
    }

    private static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: queryCharacters) ?? text
    }
}

/// The bytes a body reader collected (shared with the task that may be cancelled).
private final class Collected: Sendable {
    private let buffer = Mutex(Data())

    func append(_ chunk: ByteBuffer) {
        buffer.withLock { $0.append(contentsOf: chunk.readableBytesView) }
    }

    var data: Data { buffer.withLock { $0 } }
}
