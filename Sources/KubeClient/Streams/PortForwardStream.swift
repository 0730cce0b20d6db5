import Foundation
import KubeCore
import NIOConcurrencyHelpers

/// One connection to a pod's port through the API server (`pods/portforward` over WebSocket,
/// the kubelet's `v4.channel.k8s.io` channels: data and error per port).
///
/// ``inbound`` yields what the pod's process sends and ends when the connection closes; an
/// error the kubelet reports (nothing listens on the port) ends it with a ``KubeError`` of code
/// ``KubeError/Code/portForward``, a cut connection with ``KubeError/Code/streamClosed``.
public final class PortForwardStream: Sendable {
    public let port: Int
    public let inbound: AsyncThrowingStream<Data, any Error>
    private let socket: ClientWebSocket

    init(port: Int, socket: ClientWebSocket, sink: PortForwardSink) {
        self.port = port
        self.socket = socket
        self.inbound = sink.inbound
    }

    /// Sends bytes to the pod's port.
    public func write(_ data: Data) async throws {
        // In pieces of at most 32 KiB, as kubectl writes: servers bound the size of one message.
        var offset = data.startIndex
        while offset < data.endIndex {
            let end = data.index(offset, offsetBy: ChannelMessages.maxChunk, limitedBy: data.endIndex) ?? data.endIndex
            try await socket.send(ChannelMessages.frame(0, Data(data[offset..<end])))
            offset = end
        }
    }

    /// Closes the connection; ``inbound`` ends.
    public func close() async {
        await socket.close()
    }
}

final class PortForwardSink: WebSocketSink {
    let inbound: AsyncThrowingStream<Data, any Error>
    private let input: AsyncThrowingStream<Data, any Error>.Continuation
    private let state: NIOLockedValueBox<PortForwardState>

    init(port: Int) {
        (inbound, input) = AsyncThrowingStream.makeStream(of: Data.self)
        state = NIOLockedValueBox(PortForwardState(port: port))
    }

    func received(_ message: Data) {
        do {
            switch try state.withLockedValue({ state throws(KubeError) in try state.receive(message) }) {
            case .data(let data): input.yield(data)
            case .error(let text): input.finish(throwing: KubeError(.portForward, text))
            case nil: break
            }
        } catch {
            input.finish(throwing: error)
        }
    }

    /// A close frame is the normal end (the pod's side closed, or ``PortForwardStream/close()``);
    /// a connection that just drops is cut.
    func closed(clean: Bool) {
        if clean {
            input.finish()
        } else {
            input.finish(throwing: KubeError(.streamClosed, "the port-forward connection was cut"))
        }
    }
}
