import Foundation
import KubeCore
import Logging

/// The REST verbs for one resource type in one namespace, all namespaces, or the cluster
/// scope: `Api<Pod>.namespaced(client, "default").get("web-0")`.
///
/// `K` is a typed resource (``KubeResource``) or ``DynamicObject`` (see ``DynamicApi``).
/// Every verb throws ``KubeError`` (or `CancellationError`); each takes an optional
/// `logger` that replaces the client's for that call.
public struct Api<K: KubeObject>: Sendable {
    public let client: KubeClient
    public let resource: ResourceDescriptor
    /// `nil` for cluster-scoped resources and for list/watch across all namespaces.
    public let namespace: String?
    let builder: RequestBuilder

    /// An API for any resource descriptor (typed or dynamic). `namespace` is ignored for
    /// cluster-scoped resources; `nil` on a namespaced resource means all namespaces.
    public init(_ client: KubeClient, resource: ResourceDescriptor, namespace: String?) {
        self.client = client
        self.resource = resource
        self.namespace = resource.namespaced ? namespace : nil
        self.builder = RequestBuilder(resource: resource, namespace: namespace)
    }
}

/// The verbs for resources without a Swift type (CRDs, anything found by discovery):
/// `DynamicApi(client, resource: try await client.resolve("deploy"), namespace: "default")`.
public typealias DynamicApi = Api<DynamicObject>

extension Api where K: KubeResource {
    /// Objects in one namespace.
    public static func namespaced(_ client: KubeClient, _ namespace: String) -> Api {
        Api(client, resource: K.descriptor, namespace: namespace)
    }

    /// A namespaced resource across every namespace (list, watch, deleteCollection are meaningful; get needs a namespace).
    public static func all(_ client: KubeClient) -> Api {
        Api(client, resource: K.descriptor, namespace: nil)
    }

    /// A cluster-scoped resource (`Namespace`, `Node`, `ClusterRole`).
    public static func cluster(_ client: KubeClient) -> Api {
        Api(client, resource: K.descriptor, namespace: nil)
    }

    /// The configuration's namespace (the pod's own in-cluster) for namespaced resources, the cluster scope otherwise.
    public static func `default`(_ client: KubeClient) -> Api {
        Api(client, resource: K.descriptor, namespace: K.namespaced ? client.namespace : nil)
    }
}

/// The answer to a delete: the object while deletion is in progress (finalizers, graceful
/// deletion), or the server's `Status` when it is gone at once (kube-rs `Either`).
public enum DeleteResult<K: Sendable>: Sendable {
    case deleting(K)
    case deleted(Status)
}

/// The answer to a deleteCollection: the list of objects being deleted, or a `Status`.
public enum DeleteCollectionResult<K: Codable & Sendable>: Sendable {
    case deleting(ObjectList<K>)
    case deleted(Status)
}

extension Api {
    func log(_ logger: Logger?) -> Logger { logger ?? client.logger }

    func call<T: Decodable>(_ request: KubeRequest, as type: T.Type = T.self, logger: Logger?) async throws -> T {
        try await client.request(try negotiated(request), as: T.self, logger: log(logger))
    }

    /// For an `Api<PartialObjectMetadata>`, asks for the metadata-only form of reads.
    func negotiated(_ request: KubeRequest, list: Bool) -> KubeRequest {
        guard K.self == PartialObjectMetadata.self else { return request }
        var request = request
        request.headers["Accept"] = PartialObjectMetadata.accept(list: list)
        return request
    }

    static func built(_ make: () throws(RequestError) -> KubeRequest) throws -> KubeRequest {
        do { return try make() } catch { throw KubeError(.invalidRequest, error.message) }
    }

    /// The object's JSON with `apiVersion` and `kind` filled in when the value left them out.
    func body(_ object: some Encodable) throws -> Data {
        var value: JSONValue
        do { value = try JSONValue(encoding: object) } catch {
            throw KubeError(.invalidRequest, "the \(resource.kind) does not encode as JSON: \(error)")
        }
        guard case .object = value else { throw KubeError(.invalidRequest, "the \(resource.kind) does not encode as a JSON object") }
        if value["apiVersion"] == nil || value["apiVersion"] == .null { value["apiVersion"] = .string(resource.apiVersion) }
        if value["kind"] == nil || value["kind"] == .null { value["kind"] = .string(resource.kind) }
        do { return try JSONEncoder().encode(value) } catch { throw KubeError(.invalidRequest, "\(error)") }
    }

    /// `GET` one object.
    public func get(_ name: String, logger: Logger? = nil) async throws -> K {
        try await call(negotiated(try Self.built { () throws(RequestError) in try builder.get(name) }, list: false), logger: logger)
    }

    /// `GET` one object, `nil` when it does not exist (404).
    public func getIfExists(_ name: String, logger: Logger? = nil) async throws -> K? {
        do { return try await get(name, logger: logger) } catch let error as KubeError where error.isNotFound { return nil }
    }

    /// One page of a list (set ``ListOptions/limit`` and ``ListOptions/continueToken`` to page by hand).
    public func list(_ options: ListOptions = ListOptions(), logger: Logger? = nil) async throws -> ObjectList<K> {
        try await call(negotiated(try Self.built { () throws(RequestError) in try builder.list(options) }, list: true), logger: logger)
    }

    /// Every object, fetched in pages of `pageSize` as the sequence is consumed.
    public func listAll(_ options: ListOptions = ListOptions(), pageSize: Int = 500, logger: Logger? = nil) -> ListAllSequence<K> {
        ListAllSequence(api: self, options: options, pageSize: pageSize, logger: logger)
    }

    /// `POST` a new object. Set `metadata.generateName` instead of `name` to let the server pick a unique name.
    public func create(_ object: K, options: WriteOptions = WriteOptions(), logger: Logger? = nil) async throws -> K {
        let data = try body(object)
        return try await call(try Self.built { () throws(RequestError) in try builder.create(body: data, options: options) }, logger: logger)
    }

    /// `PUT` the whole object. A stale `metadata.resourceVersion` fails with ``KubeError/isConflict``.
    public func replace(_ name: String, _ object: K, options: WriteOptions = WriteOptions(), logger: Logger? = nil) async throws -> K {
        let data = try body(object)
        return try await call(try Self.built { () throws(RequestError) in try builder.replace(name, body: data, options: options) }, logger: logger)
    }

    /// `PATCH` with any ``Patch`` kind; server-side apply needs ``PatchOptions/fieldManager``.
    public func patch(_ name: String, _ patch: Patch, options: PatchOptions = PatchOptions(), logger: Logger? = nil) async throws -> K {
        try await call(try Self.built { () throws(RequestError) in try builder.patch(name, patch: patch, options: options) }, logger: logger)
    }

    /// `DELETE` one object.
    public func delete(_ name: String, options: DeleteOptions = DeleteOptions(), logger: Logger? = nil) async throws -> DeleteResult<K> {
        let request = try Self.built { () throws(RequestError) in try builder.delete(name, options: options) }
        let response = try await client.send(request, logger: log(logger))
        if try Self.isStatus(response.body) {
            return .deleted(try client.decode(Status.self, from: response.body, what: "the delete response"))
        }
        return .deleting(try client.decode(K.self, from: response.body, what: "the delete response"))
    }

    /// `DELETE` on the collection: every object matching `listOptions`.
    public func deleteCollection(
        options: DeleteOptions = DeleteOptions(), listOptions: ListOptions = ListOptions(), logger: Logger? = nil
    ) async throws -> DeleteCollectionResult<K> {
        let request = try Self.built { () throws(RequestError) in try builder.deleteCollection(options: options, listOptions: listOptions) }
        let response = try await client.send(request, logger: log(logger))
        if try Self.isStatus(response.body) {
            return .deleted(try client.decode(Status.self, from: response.body, what: "the deletecollection response"))
        }
        return .deleting(try client.decode(ObjectList<K>.self, from: response.body, what: "the deletecollection response"))
    }

    private struct KindProbe: Decodable { var kind: String? }

    static func isStatus(_ body: Data) throws -> Bool {
        do { return try JSONDecoder().decode(KindProbe.self, from: body).kind == "Status" } catch {
            throw KubeError.decoding(error, what: "the delete response")
        }
    }
}
