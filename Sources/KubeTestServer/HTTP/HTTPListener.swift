import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization

/// Handles one decoded request; implemented by the API layer.
protocol RequestResponder: StreamResponder {
    func respond(to request: ServerRequest) async -> ServerResponse
    var maxRequestBodyBytes: Int { get }
}

/// One TLS listener (one "master"): HTTP/1.1 and HTTP/2 negotiated by ALPN, client
/// certificates verified against the cluster CA when presented. It can be stopped and
/// started again on the same port; stopping closes every connection it accepted.
final class HTTPListener: Sendable {
    let index: Int
    let host: String
    private let state: Mutex<State>
    private let group: any EventLoopGroup
    private let sslContext: NIOSSLContext
    private let responder: any RequestResponder
    private let logger: Logger
    private let connectionFaults: ConnectionFaults?

    private struct State {
        var port: Int
        var serverChannel: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
    }

    init(
        index: Int, host: String, port: Int, group: any EventLoopGroup, sslContext: NIOSSLContext, responder: any RequestResponder, logger: Logger,
        connectionFaults: ConnectionFaults? = nil
    ) {
        self.connectionFaults = connectionFaults
        self.index = index
        self.host = host
        self.state = Mutex(State(port: port))
        self.group = group
        self.sslContext = sslContext
        self.responder = responder
        self.logger = logger
    }

    /// The bound port (the ephemeral one after the first start with port 0).
    var port: Int { state.withLock { $0.port } }

    var isRunning: Bool { state.withLock { $0.serverChannel != nil } }

    /// Binds and starts accepting; reuses the port chosen by the first start.
    func start() async throws {
        let port = self.port
        let sslContext = self.sslContext
        let responder = self.responder
        let index = self.index
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [weak self] channel in
                self?.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    // First, so a black-holed connection drops raw bytes (see `BlackHoleHandler`).
                    try channel.pipeline.syncOperations.addHandler(BlackHoleHandler())
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                }.flatMap {
                    channel.configureHTTP2SecureUpgrade(
                        h2ChannelConfigurator: { connection in
                            connection.configureHTTP2Pipeline(mode: .server, inboundStreamInitializer: { stream in
                                stream.eventLoop.makeCompletedFuture {
                                    try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                                    try stream.pipeline.syncOperations.addHandler(
                                        HTTPRequestHandler(responder: responder, listenerIndex: index, connection: connection))
                                }
                            }).map { _ in }
                        },
                        http1ChannelConfigurator: { connection in
                            connection.eventLoop.makeCompletedFuture {
                                // WebSocket upgrades (exec, attach, port-forward) happen on HTTP/1.1 only, as in kube.
                                let upgrader = WebSocketUpgrade.upgrader(responder: responder) { head in
                                    HTTPRequestHandler.request(head, body: Data(), connection: connection, listenerIndex: index)
                                }
                                try connection.pipeline.syncOperations.configureHTTPServerPipeline(
                                    withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }), withErrorHandling: true)
                                try connection.pipeline.syncOperations.addHandler(
                                    HTTPRequestHandler(responder: responder, listenerIndex: index, connection: connection),
                                    name: WebSocketUpgrade.httpHandlerName)
                            }
                        })
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        state.withLock {
            $0.serverChannel = channel
            $0.port = bound
        }
        logger.debug("listener started", metadata: ["index": "\(index)", "port": "\(bound)"])
    }

    /// Stops accepting and closes every open connection of this listener.
    func stop() async {
        let (server, connections) = state.withLock { state -> ((any Channel)?, [any Channel]) in
            let result = (state.serverChannel, Array(state.connections.values))
            state.serverChannel = nil
            state.connections = [:]
            return result
        }
        try? await server?.close()
        for connection in connections {
            if await BlackHoleHandler.closeIfEngaged(connection) { continue }
            try? await connection.close()
        }
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { $0.connections[id] = channel }
        connectionFaults?.register(channel, listener: index)
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.connections.removeValue(forKey: id) }
        }
    }
}

/// Collects one request (head, body up to the size limit, end), hands it to the
/// responder on a task and writes the response back; a closed channel cancels the task.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: any RequestResponder
    private let listenerIndex: Int
    /// The TLS connection (the parent channel for HTTP/2 streams), for the peer certificate.
    private let connection: any Channel
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false
    private var task: Task<Void, Never>?

    init(responder: any RequestResponder, listenerIndex: Int, connection: any Channel) {
        self.responder = responder
        self.listenerIndex = listenerIndex
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body.clear()
            self.tooLarge = false
        case .body(var chunk):
            if tooLarge { return }
            if body.readableBytes + chunk.readableBytes > responder.maxRequestBodyBytes {
                tooLarge = true
                body.clear()
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            dispatch(context: context, head: head)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        task?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A refused WebSocket upgrade is reported here, then the request comes as a plain one
        // (and gets the error Status the API answers with).
        if let upgradeError = error as? NIOWebSocketUpgradeError, upgradeError == .unsupportedWebSocketTarget { return }
        context.close(promise: nil)
    }

    /// The request as the API layer sees it, with the user of the connection's verified client certificate.
    static func request(_ head: HTTPRequestHead, body: Data, connection: any Channel, listenerIndex: Int) -> ServerRequest {
        let identity: CertificateIdentity? =
            if let handler = try? connection.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
                let certificate = handler.peerCertificate, let der = try? certificate.toDERBytes()
            { CertificateIdentity(derBytes: der) } else { nil }
        var request = ServerRequest(
            method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
            body: body, certificateIdentity: identity, listenerIndex: listenerIndex)
        request.connectionID = ObjectIdentifier(connection)
        return request
    }

    private func dispatch(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let channel = context.channel
        let keepAlive = head.isKeepAlive
        let version = head.version
        let gzip = Gzip.accepts(head.headers["Accept-Encoding"].joined(separator: ","))
        let responder = self.responder
        let request = Self.request(head, body: Data(body.readableBytesView), connection: connection, listenerIndex: listenerIndex)
        body = ByteBuffer()
        if tooLarge {
            let response = ServerResponse.json(413, APIError.requestEntityTooLarge(limit: responder.maxRequestBodyBytes).statusJSON)
            task = Task { await ResponseWriter.write(response, to: channel, version: version, keepAlive: false) }
        } else {
            task = Task {
                let response = await responder.respond(to: request)
                await ResponseWriter.write(response, to: channel, version: version, keepAlive: keepAlive, acceptsGzip: gzip)
            }
        }
    }

}

/// Writes a response into an HTTP/1.1 connection or HTTP/2 stream channel.
enum ResponseWriter {
    /// `acceptsGzip`: the request's `Accept-Encoding` named gzip; a complete body above
    /// ``Gzip/thresholdBytes`` is then sent compressed, as kube-apiserver does (streams never).
    static func write(_ response: ServerResponse, to channel: any Channel, version: HTTPVersion, keepAlive: Bool, acceptsGzip: Bool = false) async {
        var headers = HTTPHeaders(response.headers)
        let status = HTTPResponseStatus(statusCode: response.status)
        switch response.body {
        case .data(var data):
            if acceptsGzip && data.count > Gzip.thresholdBytes && !headers.contains(name: "Content-Encoding"),
                let compressed = Gzip.compress(data)
            {
                data = compressed
                headers.replaceOrAdd(name: "Content-Encoding", value: "gzip")
                headers.add(name: "Vary", value: "Accept-Encoding")
            }
            headers.replaceOrAdd(name: "Content-Length", value: "\(data.count)")
            if !keepAlive && version.major == 1 { headers.replaceOrAdd(name: "Connection", value: "close") }
            channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: status, headers: headers)), promise: nil)
            if !data.isEmpty {
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: data))), promise: nil)
            }
            do {
                try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            } catch {
                return
            }
            if !keepAlive && version.major == 1 { try? await channel.close() }
        case .stream(let chunks):
            // No Content-Length: HTTP/1.1 goes chunked, like kube-apiserver's watch responses.
            do {
                try await channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: status, headers: headers)))
                for await chunk in chunks {
                    switch chunk {
                    case .data(let data):
                        try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: data))))
                    case .abort:
                        try? await channel.close()
                        return
                    }
                }
                if Task.isCancelled { return }
                try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            } catch {
                try? await channel.close()
            }
        }
    }
}
