import Foundation

/// Builds the requests for one resource type in one namespace (or all namespaces,
/// or the cluster scope): the URL layout of kube-apiserver as pure functions.
///
/// ```
/// /api/v1/namespaces/{ns}/pods/{name}/status
/// /apis/apps/v1/deployments            (all namespaces)
/// ```
public struct RequestBuilder: Sendable, Hashable {
    public let resource: ResourceDescriptor
    /// `nil` for cluster-scoped resources, or for list/watch across all namespaces.
    public let namespace: String?

    public init(resource: ResourceDescriptor, namespace: String?) {
        self.resource = resource
        self.namespace = resource.namespaced ? namespace : nil
    }

    /// The collection path: `/api/v1/namespaces/default/pods`, `/apis/apps/v1/deployments`.
    public var collectionPath: String {
        var path = resource.groupVersion.pathPrefix
        if let namespace { path += "/namespaces/\(namespace)" }
        return path + "/" + resource.plural
    }

    func objectPath(_ name: String, subresource: String? = nil) throws(RequestError) -> String {
        try Self.validate(name: name, what: "name")
        if let namespace { try Self.validate(name: namespace, what: "namespace") }
        if resource.namespaced && namespace == nil {
            throw RequestError("\(resource.plural) is namespaced: a namespace is needed to address \"\(name)\"")
        }
        var path = collectionPath + "/" + name
        if let subresource { path += "/" + subresource }
        return path
    }

    /// Rejects names the API server could never accept as one path segment.
    private static func validate(name: String, what: String) throws(RequestError) {
        guard !name.isEmpty else { throw RequestError("\(what) must not be empty") }
        guard name != ".", name != "..", !name.contains("/"), !name.contains("%") else {
            throw RequestError("\(what) \"\(name)\" may not be '.', '..' or contain '/' or '%'")
        }
    }

    private var collectionNamespaceCheck: Void {
        get throws(RequestError) {
            if let namespace { try Self.validate(name: namespace, what: "namespace") }
        }
    }

    public func get(_ name: String, subresource: String? = nil) throws(RequestError) -> KubeRequest {
        KubeRequest(method: .get, path: try objectPath(name, subresource: subresource), headers: Self.acceptJSON, verb: "get")
    }

    public func list(_ options: ListOptions = ListOptions()) throws(RequestError) -> KubeRequest {
        try collectionNamespaceCheck
        return KubeRequest(method: .get, path: collectionPath, query: options.queryItems, headers: Self.acceptJSON, verb: "list")
    }

    public func watch(_ options: WatchOptions = WatchOptions()) throws(RequestError) -> KubeRequest {
        try collectionNamespaceCheck
        return KubeRequest(
            method: .get, path: collectionPath, query: options.queryItems, headers: Self.acceptJSON, isStreaming: true,
            verb: "watch")
    }

    public func create(body: Data, options: WriteOptions = WriteOptions()) throws(RequestError) -> KubeRequest {
        try collectionNamespaceCheck
        if resource.namespaced && namespace == nil {
            throw RequestError("\(resource.plural) is namespaced: a namespace is needed to create one")
        }
        return KubeRequest(
            method: .post, path: collectionPath, query: options.queryItems, headers: Self.sendJSON, body: body, verb: "create")
    }

    /// `POST` on a subresource of one object: `serviceaccounts/{name}/token` (TokenRequest),
    /// `pods/{name}/eviction`, `pods/{name}/binding`. `subresource` is one path segment.
    public func create(_ name: String, subresource: String, body: Data, options: WriteOptions = WriteOptions()) throws(RequestError)
        -> KubeRequest
    {
        try Self.validate(name: subresource, what: "subresource")
        return KubeRequest(
            method: .post, path: try objectPath(name, subresource: subresource), query: options.queryItems,
            headers: Self.sendJSON, body: body, verb: "create")
    }

    /// `PUT` of a whole object (or of a subresource such as `status` or `scale`).
    public func replace(_ name: String, body: Data, subresource: String? = nil, options: WriteOptions = WriteOptions()) throws(RequestError)
        -> KubeRequest
    {
        KubeRequest(
            method: .put, path: try objectPath(name, subresource: subresource), query: options.queryItems,
            headers: Self.sendJSON, body: body, verb: "update")
    }

    public func patch(_ name: String, patch: Patch, subresource: String? = nil, options: PatchOptions = PatchOptions()) throws(RequestError)
        -> KubeRequest
    {
        if case .apply = patch, options.fieldManager?.isEmpty ?? true {
            throw RequestError("server-side apply needs a fieldManager")
        }
        let body: Data
        do { body = try patch.body() } catch { throw RequestError("the patch does not encode as JSON: \(error)") }
        return KubeRequest(
            method: .patch, path: try objectPath(name, subresource: subresource), query: options.queryItems,
            headers: ["Content-Type": patch.contentType, "Accept": "application/json"], body: body, verb: "patch")
    }

    public func delete(_ name: String, options: DeleteOptions = DeleteOptions()) throws(RequestError) -> KubeRequest {
        KubeRequest(
            method: .delete, path: try objectPath(name), query: options.dryRun ? [QueryItem("dryRun", "All")] : [],
            headers: Self.sendJSON, body: try Self.encode(options), verb: "delete")
    }

    public func deleteCollection(options: DeleteOptions = DeleteOptions(), listOptions: ListOptions = ListOptions()) throws(RequestError)
        -> KubeRequest
    {
        try collectionNamespaceCheck
        var query = listOptions.queryItems
        if options.dryRun { query.append(QueryItem("dryRun", "All")) }
        return KubeRequest(
            method: .delete, path: collectionPath, query: query, headers: Self.sendJSON, body: try Self.encode(options),
            verb: "deletecollection")
    }

    /// `GET .../pods/{name}/log`; a followed log is a stream.
    public func logs(_ name: String, options: LogOptions = LogOptions()) throws(RequestError) -> KubeRequest {
        KubeRequest(
            method: .get, path: try objectPath(name, subresource: "log"), query: options.queryItems,
            headers: ["Accept": "text/plain, */*"], isStreaming: options.follow, verb: "get")
    }

    private static let acceptJSON = ["Accept": "application/json"]
    private static let sendJSON = ["Accept": "application/json", "Content-Type": "application/json"]

    private static func encode(_ value: some Encodable) throws(RequestError) -> Data {
        do { return try JSONEncoder().encode(value) } catch { throw RequestError("the body does not encode as JSON: \(error)") }
    }
}
