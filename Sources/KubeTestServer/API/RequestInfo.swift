/// What a request addresses, parsed like kube-apiserver's `RequestInfoFactory`.
struct RequestInfo: Sendable, Hashable {
    var isResourceRequest: Bool
    var path: String
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`
    /// (or the lowercased HTTP method for non-resource requests).
    var verb: String
    var apiPrefix = ""
    var group = ""
    var version = ""
    var namespace = ""
    var resource = ""
    var subresource = ""
    var name = ""
    /// The path parts after `/api` or `/apis` (for discovery requests).
    var parts: [String] = []

    init(method: String, path: String, query: [String: [String]]) {
        self.path = path
        self.verb = method.lowercased()
        self.isResourceRequest = false
        var parts = path.split(separator: "/").map(String.init)
        guard let prefix = parts.first, prefix == "api" || prefix == "apis" else { return }
        apiPrefix = prefix
        parts.removeFirst()
        self.parts = parts
        if prefix == "apis" {
            guard parts.count >= 3 else { return }
            group = parts.removeFirst()
        } else {
            guard parts.count >= 2 else { return }
        }
        version = parts.removeFirst()
        isResourceRequest = true
        var isWatchPath = false
        if parts.first == "watch" {
            isWatchPath = true
            parts.removeFirst()
            guard !parts.isEmpty else { isResourceRequest = false; return }
        }
        switch method {
        case "POST": verb = "create"
        case "GET", "HEAD": verb = "get"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = "delete"
        default: verb = method.lowercased()
        }
        if parts.first == "namespaces", parts.count > 1 {
            namespace = parts[1]
            if parts.count > 2 && parts[2] != "status" && parts[2] != "finalize" {
                parts.removeFirst(2)
            }
        }
        resource = parts.first ?? ""
        if parts.count >= 2 { name = parts[1] }
        if parts.count >= 3 { subresource = parts[2] }
        if parts.count > 3 { isResourceRequest = false; return }
        let watchFlag = query["watch"]?.first.map { $0 == "true" || $0 == "1" } ?? false
        if isWatchPath || (verb == "get" && name.isEmpty && watchFlag) {
            verb = "watch"
        } else if verb == "get" && name.isEmpty {
            verb = "list"
        } else if verb == "delete" && name.isEmpty {
            verb = "deletecollection"
        }
    }
}
