import Foundation
import KubeCore

/// What a `pods/exec`, `pods/attach` or `pods/portforward` request reaches once it is
/// authorized and its pod and container are checked: the kubelet side, in ``KubeTestServer/Kubelet``.
struct PodStreamTarget: Sendable {
    enum Kind: Sendable { case exec, attach, portForward }

    var kind: Kind
    var namespace: String
    var pod: String
    var uid: String
    var container: String
    var command: [String]
    var tty: Bool
    var stdin: Bool
    var stdout: Bool
    var stderr: Bool
    var ports: [Int]
}

/// An accepted WebSocket upgrade: the subprotocol to answer with and the target.
struct PodStreamUpgrade: Sendable {
    var subprotocol: String
    var target: PodStreamTarget
}

extension APIServer {
    /// The pod subresources that stream over an upgraded connection.
    static let podStreamSubresources: Set<String> = ["exec", "attach", "portforward"]

    /// The WebSocket upgrade decision for a request: `nil` (refused) sends the request down
    /// the normal path, which answers with the error (401, 403, 404, 400) kube-apiserver would.
    func prepareUpgrade(_ request: ServerRequest) async -> PodStreamUpgrade? {
        let info = RequestInfo(method: request.method, path: request.path, query: request.query)
        guard request.method == "GET", info.isResourceRequest, info.group.isEmpty, info.resource == "pods",
            Self.podStreamSubresources.contains(info.subresource)
        else { return nil }
        do {
            let user = try await authenticate(request)
            try await authorize(user: user, request: request)
            let target = try await podStreamTarget(request, info: info)
            let supported = target.kind == .portForward ? StreamProtocol.portForward : [StreamProtocol.v5, StreamProtocol.v4]
            let offered = request.headers["sec-websocket-protocol"]
            // The kubelet's port-forward also serves a client that names no subprotocol (binary channels).
            if target.kind == .portForward, (offered ?? "").isEmpty { return PodStreamUpgrade(subprotocol: "", target: target) }
            guard let subprotocol = StreamProtocol.negotiate(offered: offered, supported: supported) else { return nil }
            return PodStreamUpgrade(subprotocol: subprotocol, target: target)
        } catch {
            return nil
        }
    }

    /// A stream request that was not upgraded (an SPDY POST, a plain GET, an unsupported
    /// subprotocol): checked like an upgrade, then refused with what is missing.
    func refuseUnupgradedStream(_ request: ServerRequest, info: RequestInfo) async throws(APIError) -> ServerResponse {
        let offered = request.headers["sec-websocket-protocol"] ?? ""
        let isSPDY = request.headers["upgrade"]?.lowercased().hasPrefix("spdy") == true || offered.contains(StreamProtocol.spdyTunnel)
        if info.subresource == "portforward", isSPDY {
            // SPDY names the ports in its streams, not the query: only the pod can be checked.
            guard let pods = registry.resource(group: "", version: "v1", plural: "pods") else { throw APIError.pathNotFound }
            _ = try await store.get(pods, namespace: info.namespace, name: info.name)
            throw APIError.badRequest(
                "kube-test-server serves pods/portforward over WebSocket (\(StreamProtocol.v4)) only; SPDY (and SPDY tunnelled in WebSocket) is not supported")
        }
        _ = try await podStreamTarget(request, info: info)
        if isSPDY {
            throw APIError.badRequest(
                "kube-test-server serves pods/\(info.subresource) over WebSocket (\(StreamProtocol.v5), \(StreamProtocol.v4)) only; SPDY is not supported")
        }
        throw APIError.badRequest("Upgrade request required")
    }

    /// The checks kube-apiserver and the kubelet make before streaming: the pod exists, the
    /// container is one of its containers, the pod runs; exec needs a command, port-forward ports.
    func podStreamTarget(_ request: ServerRequest, info: RequestInfo) async throws(APIError) -> PodStreamTarget {
        guard let pods = registry.resource(group: "", version: "v1", plural: "pods") else { throw APIError.pathNotFound }
        let kind: PodStreamTarget.Kind = switch info.subresource {
        case "exec": .exec
        case "attach": .attach
        default: .portForward
        }
        let pod = try await store.get(pods, namespace: info.namespace, name: info.name)
        let name = info.name
        let uid = pod["metadata"]?["uid"]?.stringValue ?? ""
        let containers = pod["spec"]?["containers"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        var target = PodStreamTarget(
            kind: kind, namespace: info.namespace, pod: name, uid: uid, container: "", command: request.query["command"] ?? [],
            tty: request.queryFlag("tty"), stdin: request.queryFlag("stdin"), stdout: request.queryFlag("stdout"),
            stderr: request.queryFlag("stderr"), ports: [])
        if kind == .portForward {
            guard let ports = StreamProtocol.ports(request.query["ports"] ?? []) else {
                throw APIError.badRequest("query parameter \"ports\" is required and must list ports between 1 and 65535")
            }
            target.ports = ports
        } else {
            let requested = request.queryValue("container")
            if requested == nil && containers.count > 1 {
                throw APIError.badRequest("a container name must be specified for pod \(name), choose one of: [\(containers.joined(separator: " "))]")
            }
            let container = requested ?? containers.first ?? ""
            guard containers.contains(container) else { throw APIError.badRequest("container \(container) is not valid for pod \(name)") }
            target.container = container
            if kind == .exec && target.command.isEmpty { throw APIError.badRequest("you must specify at least 1 command") }
            if !target.stdin && !target.stdout && !target.stderr {
                throw APIError.badRequest("you must specify at least 1 of stdin, stdout, stderr")
            }
            if target.tty && target.stderr && kind == .exec { target.stderr = false }
        }
        // kube-apiserver's streamLocation: only a pod on a node, not finished, can stream.
        let phase = pod["status"]?["phase"]?.stringValue ?? "Pending"
        if phase == "Succeeded" || phase == "Failed" {
            throw APIError.badRequest("cannot exec into a container in a completed pod; current phase is \(phase)")
        }
        guard phase == "Running" else {
            throw APIError.badRequest("pod \(name) does not have a host assigned")
        }
        return target
    }

    // MARK: - Logs

    /// `pods/log` from the container's ``KubeTestServer/Kubelet/ContainerLog`` (or the
    /// `kube-test-server/logs` annotation when it has none): `tailLines`, `sinceSeconds`,
    /// `sinceTime`, `timestamps`, `limitBytes`, `previous`, and `follow` streaming appended lines
    /// until the log is finished.
    func podLog(_ request: ServerRequest, namespace: String, name: String) async throws(APIError) -> ServerResponse {
        guard let pods = registry.resource(group: "", version: "v1", plural: "pods") else { throw APIError.pathNotFound }
        let pod = try await store.get(pods, namespace: namespace, name: name)
        let containers = (pod["spec"]?["containers"]?.arrayValue ?? []) + (pod["spec"]?["initContainers"]?.arrayValue ?? [])
        let names = containers.compactMap { $0["name"]?.stringValue }
        let mainNames = pod["spec"]?["containers"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        let container = request.queryValue("container") ?? mainNames.first ?? ""
        if request.queryValue("container") == nil && mainNames.count > 1 {
            throw APIError.badRequest("a container name must be specified for pod \(name), choose one of: [\(mainNames.joined(separator: " "))]")
        }
        guard names.contains(container) else { throw APIError.badRequest("container \(container) is not valid for pod \(name)") }
        guard pod["status"]?["phase"]?.stringValue == "Running" || kubelet.existingLog(namespace: namespace, pod: name, container: container) != nil
        else {
            throw APIError.badRequest("container \"\(container)\" in pod \"\(name)\" is waiting to start: ContainerCreating")
        }
        var options = try LogQuery(request)
        let previous = request.queryFlag("previous")
        guard let log = kubelet.existingLog(namespace: namespace, pod: name, container: container) else {
            if previous { throw APIError.badRequest("previous terminated container \"\(container)\" in pod \"\(name)\" not found") }
            let text = pod["metadata"]?["annotations"]?["kube-test-server/logs"]?.stringValue ?? ""
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if text.hasSuffix("\n") { lines.removeLast() }
            let now = Date()
            options.timestamps = false  // annotation lines have no write time
            return .text(200, options.render(lines.map { KubeTestServer.Kubelet.ContainerLog.Line(time: now, text: $0) }))
        }
        if previous {
            guard let lines = log.snapshot(previous: true) else {
                throw APIError.badRequest("previous terminated container \"\(container)\" in pod \"\(name)\" not found")
            }
            return .text(200, options.render(lines))
        }
        guard request.queryFlag("follow") else { return .text(200, options.render(log.snapshot(previous: false) ?? [])) }
        let (lines, later) = log.follow()
        let query = options
        let backlog = query.render(lines)
        let stream = AsyncStream<ServerResponse.StreamChunk> { continuation in
            let task = Task {
                var remaining = query.limitBytes.map { $0 - backlog.utf8.count }
                if !backlog.isEmpty { continuation.yield(.data(Data(backlog.utf8))) }
                for await line in later {
                    if let left = remaining, left <= 0 { break }
                    guard query.includes(line) else { continue }
                    var chunk = Data(query.format(line).utf8)
                    if let left = remaining {
                        if chunk.count > left { chunk = chunk.prefix(left) }
                        remaining = left - chunk.count
                    }
                    continuation.yield(.data(chunk))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        return ServerResponse(status: 200, headers: [("Content-Type", "text/plain")], body: .stream(stream))
    }
}

/// The `PodLogOptions` that shape the text: which lines, with or without timestamps, how many bytes.
struct LogQuery: Sendable {
    var tailLines: Int?
    var since: Date?
    var timestamps: Bool
    var limitBytes: Int?

    init(_ request: ServerRequest) throws(APIError) {
        func positive(_ name: String, allowZero: Bool) throws(APIError) -> Int? {
            guard let text = request.queryValue(name) else { return nil }
            guard let value = Int(text), value > 0 || (allowZero && value == 0) else {
                throw APIError.badRequest("\(name): Invalid value: \"\(text)\": must be \(allowZero ? "greater than or equal to 0" : "greater than 0")")
            }
            return value
        }
        tailLines = try positive("tailLines", allowZero: true)
        limitBytes = try positive("limitBytes", allowZero: false)
        let sinceSeconds = try positive("sinceSeconds", allowZero: false)
        if let sinceSeconds { since = Date().addingTimeInterval(-TimeInterval(sinceSeconds)) }
        if let sinceTime = request.queryValue("sinceTime") {
            if sinceSeconds != nil { throw APIError.badRequest("at most one of `sinceTime` or `sinceSeconds` may be specified") }
            guard let parsed = ISO8601DateFormatter().date(from: sinceTime) else {
                throw APIError.badRequest("sinceTime: Invalid value: \"\(sinceTime)\": not an RFC 3339 time")
            }
            since = parsed
        }
        timestamps = request.queryFlag("timestamps")
    }

    func includes(_ line: KubeTestServer.Kubelet.ContainerLog.Line) -> Bool {
        guard let since else { return true }
        return line.time >= since
    }

    /// One line as the kubelet writes it: `2026-01-02T03:04:05.123456789Z text\n` with timestamps.
    func format(_ line: KubeTestServer.Kubelet.ContainerLog.Line) -> String {
        guard timestamps else { return line.text + "\n" }
        return Self.timestamp(line.time) + " " + line.text + "\n"
    }

    /// RFC 3339 with nanoseconds in UTC, as the kubelet's `RFC3339NanoFixed`.
    static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let nanos = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000_000).rounded(.down))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let base = formatter.string(from: Date(timeIntervalSince1970: seconds))  // ...Z
        return String(base.dropLast()) + "." + String(format: "%09d", nanos) + "Z"
    }

    /// The selected lines: since-filter, then the last `tailLines`, then at most `limitBytes`.
    func render(_ lines: [KubeTestServer.Kubelet.ContainerLog.Line]) -> String {
        var selected = lines.filter(includes)
        if let tailLines { selected = Array(selected.suffix(tailLines)) }
        var text = selected.map(format).joined()
        if let limitBytes, text.utf8.count > limitBytes { text = String(decoding: Array(text.utf8.prefix(limitBytes)), as: UTF8.self) }
        return text
    }
}
