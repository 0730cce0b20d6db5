import Foundation
import KubeCore
import KubeModels
import Logging

extension Api {
    /// `POST .../{name}/{subresource}`: create on a subresource of one object, such as
    /// `serviceaccounts/{name}/token`, `pods/{name}/eviction` or `pods/{name}/binding`.
    ///
    /// `body` is sent as JSON as it encodes (give it its `apiVersion` and `kind`: the
    /// generated models write theirs); the answer decodes as `Response`, which is the
    /// subresource's own kind (a `TokenRequest`) or, for eviction and binding, a `Status`.
    /// The typed forms are ``Api/createToken(_:_:options:logger:)``, ``Api/evict(_:options:logger:)``
    /// and ``Api/bind(_:toNode:options:logger:)``.
    public func create<Body: Encodable, Response: Decodable>(
        subresource: String, name: String, body: Body, as response: Response.Type = Response.self,
        options: WriteOptions = WriteOptions(), logger: Logger? = nil
    ) async throws -> Response {
        let data: Data
        do { data = try JSONEncoder().encode(body) } catch {
            throw KubeError(.invalidRequest, "the \(subresource) body does not encode as JSON: \(error)")
        }
        return try await call(
            try Self.built { () throws(RequestError) in try builder.create(name, subresource: subresource, body: data, options: options) },
            logger: logger)
    }

    /// `GET .../{name}/status`.
    public func getStatus(_ name: String, logger: Logger? = nil) async throws -> K {
        try await call(try Self.built { () throws(RequestError) in try builder.get(name, subresource: "status") }, logger: logger)
    }

    /// `PUT .../{name}/status`: only the status is written; spec changes are ignored by the server.
    public func replaceStatus(_ name: String, _ object: K, options: WriteOptions = WriteOptions(), logger: Logger? = nil) async throws -> K {
        let data = try body(object)
        return try await call(
            try Self.built { () throws(RequestError) in try builder.replace(name, body: data, subresource: "status", options: options) }, logger: logger)
    }

    /// `PATCH .../{name}/status`.
    public func patchStatus(_ name: String, _ patch: Patch, options: PatchOptions = PatchOptions(), logger: Logger? = nil) async throws -> K {
        try await call(
            try Self.built { () throws(RequestError) in try builder.patch(name, patch: patch, subresource: "status", options: options) }, logger: logger)
    }

    /// `GET .../{name}/scale`: the `autoscaling/v1` `Scale` of a Deployment, StatefulSet,
    /// ReplicaSet or scalable custom resource.
    public func getScale(_ name: String, logger: Logger? = nil) async throws -> Autoscaling.V1.Scale {
        try await call(try Self.built { () throws(RequestError) in try builder.get(name, subresource: "scale") }, logger: logger)
    }

    /// `PUT .../{name}/scale`.
    public func replaceScale(
        _ name: String, _ scale: Autoscaling.V1.Scale, options: WriteOptions = WriteOptions(), logger: Logger? = nil
    ) async throws -> Autoscaling.V1.Scale {
        let data: Data
        do { data = try JSONEncoder().encode(scale) } catch { throw KubeError(.invalidRequest, "the Scale does not encode: \(error)") }
        return try await call(
            try Self.built { () throws(RequestError) in try builder.replace(name, body: data, subresource: "scale", options: options) }, logger: logger)
    }

    /// `PATCH .../{name}/scale`, for example `.merge(["spec": ["replicas": 3]])`.
    public func patchScale(_ name: String, _ patch: Patch, options: PatchOptions = PatchOptions(), logger: Logger? = nil) async throws -> Autoscaling.V1.Scale {
        try await call(
            try Self.built { () throws(RequestError) in try builder.patch(name, patch: patch, subresource: "scale", options: options) }, logger: logger)
    }

    /// A pod's log as one string (`GET .../pods/{name}/log`); `options.follow` is ignored (see ``logLines(_:options:logger:)``).
    public func logs(_ name: String, options: LogOptions = LogOptions(), logger: Logger? = nil) async throws -> String {
        var options = options
        options.follow = false
        let request = try Self.built { () throws(RequestError) in try builder.logs(name, options: options) }
        let response = try await client.send(request, logger: log(logger))
        return String(decoding: response.body, as: UTF8.self)
    }

    /// A pod's log line by line as it is written (`follow=true`); ends when the container
    /// stops or the task is cancelled (which closes the connection).
    public func logLines(_ name: String, options: LogOptions = LogOptions(), logger: Logger? = nil) throws -> LineSequence {
        var options = options
        options.follow = true
        let request = try Self.built { () throws(RequestError) in try builder.logs(name, options: options) }
        return LineSequence(client: client, request: request, logger: log(logger))
    }
}
