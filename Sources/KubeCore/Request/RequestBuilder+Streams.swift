/// Which streams an exec or attach opens (kube's `PodExecOptions` / `PodAttachOptions`).
public struct ExecOptions: Sendable, Hashable {
    /// The container; the pod's only container when `nil` (a pod with several needs a name).
    public var container: String?
    public var stdin: Bool
    public var stdout: Bool
    public var stderr: Bool
    /// A terminal: stderr is merged into stdout, and resizes reach the process.
    public var tty: Bool

    public init(container: String? = nil, stdin: Bool = false, stdout: Bool = true, stderr: Bool = true, tty: Bool = false) {
        self.container = container
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
        if tty { self.stderr = false }
    }

    var queryItems: [QueryItem] {
        var items: [QueryItem] = []
        items.append(ifPresent: "container", container)
        for (name, on) in [("stdin", stdin), ("stdout", stdout), ("stderr", stderr), ("tty", tty)] where on {
            items.append(QueryItem(name, "true"))
        }
        return items
    }
}

extension RequestBuilder {
    /// `GET .../pods/{name}/exec?command=...`: the request a WebSocket upgrade is made with.
    public func exec(_ name: String, command: [String], options: ExecOptions = ExecOptions()) throws(RequestError) -> KubeRequest {
        guard !command.isEmpty else { throw RequestError("exec needs a command") }
        return KubeRequest(
            method: .get, path: try objectPath(name, subresource: "exec"),
            query: command.map { QueryItem("command", $0) } + options.queryItems, isStreaming: true, verb: "create")
    }

    /// `GET .../pods/{name}/attach`: attaches to the container's main process.
    public func attach(_ name: String, options: ExecOptions = ExecOptions()) throws(RequestError) -> KubeRequest {
        KubeRequest(method: .get, path: try objectPath(name, subresource: "attach"), query: options.queryItems, isStreaming: true, verb: "create")
    }

    /// `GET .../pods/{name}/portforward?ports=...`.
    public func portForward(_ name: String, ports: [Int]) throws(RequestError) -> KubeRequest {
        guard !ports.isEmpty, ports.allSatisfy({ (1...65535).contains($0) }) else {
            throw RequestError("port-forward needs ports between 1 and 65535, not \(ports)")
        }
        return KubeRequest(
            method: .get, path: try objectPath(name, subresource: "portforward"),
            query: [QueryItem("ports", ports.map(String.init).joined(separator: ","))], isStreaming: true, verb: "create")
    }
}
