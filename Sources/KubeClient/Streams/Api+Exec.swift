import Foundation
import KubeCore
import KubeModels
import Logging

/// exec, attach and port-forward: WebSocket connections through the API server to the kubelet.
extension Api where K == Core.V1.Pod {
    /// Runs `command` in a container of pod `name` (`pods/exec`, `v5.channel.k8s.io` with a
    /// fallback to `v4.channel.k8s.io`). Returns once the connection is up; a pod or container
    /// that does not exist, or a pod that is not running, throws the server's `Status`.
    ///
    /// ```swift
    /// let process = try await pods.exec("web-0", command: ["cat", "/etc/hostname"])
    /// let output = try await process.output()   // stdout, stderr, exit code
    /// ```
    public func exec(_ name: String, command: [String], options: ExecOptions = ExecOptions(), logger: Logger? = nil) async throws -> AttachedProcess {
        let request = try Self.built { () throws(RequestError) in try builder.exec(name, command: command, options: options) }
        return try await open(request, logger: logger)
    }

    /// Attaches to the main process of a container (`pods/attach`), like ``exec(_:command:options:logger:)``.
    public func attach(_ name: String, options: ExecOptions = ExecOptions(), logger: Logger? = nil) async throws -> AttachedProcess {
        let request = try Self.built { () throws(RequestError) in try builder.attach(name, options: options) }
        return try await open(request, logger: logger)
    }

    /// Opens one connection to `port` of pod `name` (`pods/portforward`).
    ///
    /// ```swift
    /// let connection = try await pods.portForward("db-0", port: 5432)
    /// try await connection.write(request)
    /// for try await bytes in connection.inbound { ... }
    /// ```
    public func portForward(_ name: String, port: Int, logger: Logger? = nil) async throws -> PortForwardStream {
        let request = try Self.built { () throws(RequestError) in try builder.portForward(name, ports: [port]) }
        let sink = PortForwardSink(port: port)
        let socket = try await client.openWebSocket(request, protocols: [ChannelMessages.v4], sink: sink, logger: log(logger))
        return PortForwardStream(port: port, socket: socket, sink: sink)
    }

    private func open(_ request: KubeRequest, logger: Logger?) async throws -> AttachedProcess {
        let sink = ExecSink()
        let socket = try await client.openWebSocket(request, protocols: [ChannelMessages.v5, ChannelMessages.v4], sink: sink, logger: log(logger))
        guard [ChannelMessages.v5, ChannelMessages.v4].contains(socket.subprotocol) else {
            await socket.close()
            throw KubeError(.transport, "the server chose the subprotocol \"\(socket.subprotocol)\"; \(ChannelMessages.v5) or \(ChannelMessages.v4) is needed")
        }
        return AttachedProcess(socket: socket, sink: sink)
    }
}
