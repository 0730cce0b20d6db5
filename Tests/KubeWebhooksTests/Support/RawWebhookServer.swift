import Foundation
import KubeCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A webhook written by hand, without `KubeWebhooks`: an HTTPS/1.1 server whose handler gets
/// each review as raw JSON and returns raw JSON (or any status and body), so tests can send
/// what a buggy webhook would (wrong uid, bad patch, no answer in time).
final class RawWebhookServer: Sendable {
    typealias Handler = @Sendable (_ path: String, _ review: JSONValue) async -> (status: Int, body: Data)

    let channel: any Channel
    let port: Int
    private let received = Mutex<[(path: String, review: JSONValue)]>([])

    /// Starts on a free loopback port with `certificate`/`key` (PEM).
    static func start(certificate: String, key: String, handler: @escaping Handler) async throws -> RawWebhookServer {
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(certificate.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem)))
        let context = try NIOSSLContext(configuration: tls)
        let box = Mutex<RawWebhookServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RequestHandler { path, body in
                        let review = (try? JSONDecoder().decode(JSONValue.self, from: body)) ?? .null
                        box.withLock { $0 }?.received.withLock { $0.append((path, review)) }
                        return await handler(path, review)
                    })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = RawWebhookServer(channel: channel, port: channel.localAddress?.port ?? 0)
        box.withLock { $0 = server }
        return server
    }

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    /// Every review received so far, in arrival order.
    var reviews: [(path: String, review: JSONValue)] { received.withLock { $0 } }

    func reviews(at path: String) -> [JSONValue] { reviews.filter { $0.path.hasPrefix(path) }.map(\.review) }

    func stop() async { try? await channel.close() }

    /// An AdmissionReview v1 answer echoing the request's uid.
    static func answer(_ review: JSONValue, allowed: Bool = true, patch: JSONValue? = nil, status: JSONValue? = nil, warnings: [String] = [])
        -> (status: Int, body: Data)
    {
        var response: [String: JSONValue] = ["uid": review["request"]?["uid"] ?? "", "allowed": .bool(allowed)]
        if let patch {
            response["patch"] = .string((try? JSONEncoder().encode(patch))?.base64EncodedString() ?? "")
            response["patchType"] = "JSONPatch"
        }
        if let status { response["status"] = status }
        if !warnings.isEmpty { response["warnings"] = .array(warnings.map(JSONValue.string)) }
        let apiVersion = review["apiVersion"] ?? "admission.k8s.io/v1"
        let body: JSONValue = ["apiVersion": apiVersion, "kind": "AdmissionReview", "response": .object(response)]
        return (200, (try? JSONEncoder().encode(body)) ?? Data())
    }
}

private final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handle: @Sendable (String, Data) async -> (status: Int, body: Data)
    private var path = ""
    private var body = Data()

    init(_ handle: @escaping @Sendable (String, Data) async -> (status: Int, body: Data)) { self.handle = handle }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri
            body = Data()
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            let (path, body, handle) = (self.path, self.body, self.handle)
            let loop = context.eventLoop
            let promise = loop.makePromise(of: (status: Int, body: Data).self)
            promise.completeWithTask { await handle(path, body) }
            let bound = NIOLoopBound(context, eventLoop: loop)
            promise.futureResult.whenSuccess { [self] result in
                let context = bound.value
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: "\(result.body.count)")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: result.status), headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: result.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
