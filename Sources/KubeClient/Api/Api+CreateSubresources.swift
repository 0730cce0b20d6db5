import Foundation
import KubeCore
import KubeModels
import Logging

extension Api where K == Core.V1.ServiceAccount {
    /// `POST .../serviceaccounts/{name}/token` (the TokenRequest API): a new token for the
    /// service account `name`, for the `audiences`, `expirationSeconds` and `boundObjectRef`
    /// of `request.spec` (the server fills in what is left out: its own audience, one hour).
    ///
    /// The answer is the TokenRequest with `status.token` and `status.expirationTimestamp`.
    /// The token is a secret: the client never logs it, and neither should the caller.
    public func createToken(
        _ name: String, _ request: Authentication.V1.TokenRequest = Authentication.V1.TokenRequest(spec: .init()),
        options: WriteOptions = WriteOptions(), logger: Logger? = nil
    ) async throws -> Authentication.V1.TokenRequest {
        try await create(subresource: "token", name: name, body: request, options: options, logger: logger)
    }
}

extension Api where K == Core.V1.Pod {
    /// `POST .../pods/{name}/eviction` (a `policy/v1` Eviction): deletes the pod with `options`
    /// (grace period, preconditions, dry run) unless that would violate a
    /// PodDisruptionBudget, which fails with HTTP 429 (``KubeError/isTooManyRequests``, the
    /// Status names the budget); `kubectl drain` retries those. Returns the server's
    /// `Success` Status.
    public func evict(_ name: String, options: DeleteOptions = DeleteOptions(), logger: Logger? = nil) async throws -> Status {
        var metadata: [String: JSONValue] = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        let eviction: JSONValue = [
            "apiVersion": "policy/v1", "kind": "Eviction", "metadata": .object(metadata),
            "deleteOptions": try Self.json(options, what: "the delete options"),
        ]
        return try await create(subresource: "eviction", name: name, body: eviction, logger: logger)
    }

    /// `POST .../pods/{name}/binding`: assigns the pod to the node `node`, as a scheduler
    /// does (the server sets `spec.nodeName`). A pod that is already assigned fails with
    /// ``KubeError/isConflict``. Returns the server's `Success` Status.
    public func bind(_ name: String, toNode node: String, options: WriteOptions = WriteOptions(), logger: Logger? = nil) async throws -> Status {
        let binding = Core.V1.Binding(
            metadata: ObjectMeta(name: name, namespace: namespace), target: Core.V1.ObjectReference(apiVersion: "v1", kind: "Node", name: node))
        return try await create(subresource: "binding", name: name, body: binding, options: options, logger: logger)
    }
}

extension Api {
    static func json(_ value: some Encodable, what: String) throws -> JSONValue {
        do { return try JSONValue(encoding: value) } catch { throw KubeError(.invalidRequest, "\(what) do not encode as JSON: \(error)") }
    }
}
