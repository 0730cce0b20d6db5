import Foundation

/// Running an upgraded exec, attach or port-forward connection against the handlers of
/// ``KubeTestServer/Kubelet``, speaking the kubelet's side of the channel protocol.
extension APIServer {
    func serve(_ upgrade: PodStreamUpgrade, connection: WebSocketConnection) async {
        switch upgrade.target.kind {
        case .exec, .attach:
            await serveProcess(upgrade.target, v5: upgrade.subprotocol == StreamProtocol.v5, connection: connection)
        case .portForward:
            await servePorts(upgrade.target, connection: connection)
        }
        await connection.close()
    }

    /// exec/attach: stdin (0) and resize (4) in, stdout (1) and stderr (2) out, then the
    /// exit Status on channel 3. The client going away cancels the handler.
    private func serveProcess(_ target: PodStreamTarget, v5: Bool, connection: WebSocketConnection) async {
        let (stdin, stdinInput) = AsyncStream.makeStream(of: Data.self)
        let (resizes, resizeInput) = AsyncStream.makeStream(of: KubeTestServer.Kubelet.TerminalSize.self)
        let (gone, goneSignal) = AsyncStream.makeStream(of: Never.self)
        if !target.stdin { stdinInput.finish() }
        let reader = Task {
            for await message in connection.messages {
                guard let (channel, payload) = StreamProtocol.split(message) else { continue }
                switch channel {
                case StreamChannel.stdin where target.stdin:
                    if !payload.isEmpty { stdinInput.yield(payload) }
                case StreamChannel.resize:
                    if let size = StreamProtocol.terminalSize(payload) { resizeInput.yield(size) }
                case StreamChannel.close where v5:
                    if payload.first == StreamChannel.stdin { stdinInput.finish() }
                default:
                    break
                }
            }
            stdinInput.finish()
            resizeInput.finish()
            goneSignal.finish()
        }
        defer { reader.cancel() }
        let session = KubeTestServer.Kubelet.Exec(
            command: target.command, container: target.container, tty: target.tty,
            streams: (target.stdin, target.stdout, target.stderr), stdin: stdin, resizes: resizes,
            output: { channel, data in await connection.send(StreamProtocol.frame(channel, data)) })
        let attach = target.kind == .attach
        let place = "\(target.namespace)/\(target.pod)/\(target.container)"
        guard let handler = kubelet.execHandler(namespace: target.namespace, pod: target.pod, container: target.container, attach: attach) else {
            let message = attach
                ? "kube-test-server: no attach handler is registered for container \(place)"
                : "kube-test-server: no exec handler is registered for container \(place): exec: \"\(target.command.first ?? "")\": executable file not found in $PATH"
            await connection.send(StreamProtocol.frame(StreamChannel.error, StreamProtocol.failureStatus(message)))
            return
        }
        let command = target.command
        let status: Data? = await withTaskGroup(of: Data?.self) { group in
            group.addTask {
                do {
                    return StreamProtocol.exitStatus(try await handler(session), command: command)
                } catch {
                    return StreamProtocol.failureStatus("error executing command in container \(place): \(error)")
                }
            }
            group.addTask {
                for await _ in gone {}
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let status { await connection.send(StreamProtocol.frame(StreamChannel.error, status)) }
    }

    /// port-forward: per requested port a data channel (2i) and an error channel (2i+1),
    /// each opened with the port number; one connection per port to its handler.
    private func servePorts(_ target: PodStreamTarget, connection: WebSocketConnection) async {
        var inputs: [AsyncStream<Data>.Continuation] = []
        var streams: [AsyncStream<Data>] = []
        for (index, port) in target.ports.enumerated() {
            let prefix = StreamProtocol.portPrefix(port)
            await connection.send(StreamProtocol.frame(UInt8(index * 2), prefix))
            await connection.send(StreamProtocol.frame(UInt8(index * 2 + 1), prefix))
            let (stream, input) = AsyncStream.makeStream(of: Data.self)
            streams.append(stream)
            inputs.append(input)
        }
        let (gone, goneSignal) = AsyncStream.makeStream(of: Never.self)
        let reader = Task { [inputs] in
            for await message in connection.messages {
                guard let (channel, payload) = StreamProtocol.split(message), channel % 2 == 0, Int(channel / 2) < inputs.count else { continue }
                if !payload.isEmpty { inputs[Int(channel / 2)].yield(payload) }
            }
            for input in inputs { input.finish() }
            goneSignal.finish()
        }
        defer { reader.cancel() }
        // Child results: `true` a handler finished, `false` the client hung up.
        await withTaskGroup(of: Bool.self) { group in
            let handlers = target.ports.enumerated().map { index, port in
                (index, port, kubelet.portHandler(namespace: target.namespace, pod: target.pod, port: port))
            }
            var serving = 0
            for (index, port, handler) in handlers {
                let data = UInt8(index * 2), errorChannel = UInt8(index * 2 + 1)
                guard let handler else {
                    // The kubelet's answer for a port nobody listens on, on the port's error channel.
                    let message = "error forwarding port \(port) to pod \(target.pod), uid \(target.uid): failed to connect to localhost:\(port) inside namespace \"\(target.namespace)\": connection refused"
                    await connection.send(StreamProtocol.frame(errorChannel, Data(message.utf8)))
                    continue
                }
                serving += 1
                let portConnection = KubeTestServer.Kubelet.PortConnection(port: port, inbound: streams[index]) { bytes in
                    await connection.send(StreamProtocol.frame(data, bytes))
                }
                group.addTask {
                    do {
                        try await handler(portConnection)
                    } catch {
                        await connection.send(StreamProtocol.frame(errorChannel, Data("error forwarding port \(port): \(error)".utf8)))
                    }
                    return true
                }
            }
            // With nothing to forward the stream stays open until the client hangs up, as the kubelet's does.
            group.addTask {
                for await _ in gone {}
                return false
            }
            var finished = 0
            while let result = await group.next() {
                guard result else { break }
                finished += 1
                if finished >= serving { break }
            }
            group.cancelAll()
        }
    }
}
