import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A scripted HTTP/1.1 server on 127.0.0.1 (ephemeral port) for exercising the client's
/// send path: each request is answered by the handler, whose response may be streamed in
/// delayed chunks (a watch) and may hold the connection open.
final class StubServer: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: Data
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
        var query: String { uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? "" }
    }

    enum Chunk: Sendable {
        case data(String)
        case delay(Duration)
    }

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        var chunks: [Chunk]

        static func json(_ status: Int = 200, _ body: String, headers: [(String, String)] = []) -> Response {
            Response(status: status, headers: [("Content-Type", "application/json")] + headers, chunks: [.data(body)])
        }
    }

    typealias Handler = @Sendable (Request) async -> Response

    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let task: Task<Void, Never>
    let port: Int
    private let received = NIOLockedValueBox<[Request]>([])

    var url: String { "http://127.0.0.1:\(port)" }
    var httpsURL: String { "https://127.0.0.1:\(port)" }
    var requests: [Request] { received.withLockedValue { $0 } }

    private init(channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>, handler: @escaping Handler) {
        self.channel = channel
        self.port = channel.channel.localAddress?.port ?? 0
        let received = self.received
        task = Task {
            await withDiscardingTaskGroup { group in
                do {
                    try await channel.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask { await Self.serve(connection, handler: handler, received: received) }
                        }
                    }
                } catch {}
            }
        }
    }

    static func start(tls: NIOSSLContext? = nil, _ handler: @escaping Handler) async throws -> StubServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    if let tls { try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
                }
            }
        return StubServer(channel: channel, handler: handler)
    }

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, handler: Handler, received: NIOLockedValueBox<[Request]>
    ) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = Data()
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body = Data()
                case .body(let buffer):
                    body.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard let h = head else { continue }
                    let request = Request(method: h.method.rawValue, uri: h.uri, headers: h.headers.map { ($0.name, $0.value) }, body: body)
                    received.withLockedValue { $0.append(request) }
                    let response = await handler(request)
                    var headers = HTTPHeaders(response.headers)
                    headers.add(name: "Transfer-Encoding", value: "chunked")
                    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status), headers: headers)))
                    for chunk in response.chunks {
                        switch chunk {
                        case .data(let text): try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text))))
                        case .delay(let duration): try await Task.sleep(for: duration)
                        }
                    }
                    try await outbound.write(.end(nil))
                }
            }
        }
    }

    func shutdown() async {
        task.cancel()
        try? await channel.channel.close()
        await task.value
    }
}
