import KubeCore

/// Checks that a request body fits the URL it was sent to, as kube-apiserver's
/// create/update handlers do. Failures are 400 BadRequest `Status`es with kube's messages.
extension ObjectValidation {
    /// Checks (and fills in) the body's `apiVersion` and `kind` for an endpoint serving
    /// `expected`: missing ones default to the endpoint's, as kube's decoder does.
    ///
    /// - Returns: the object with `apiVersion` and `kind` set, or the 400 `Status`.
    public static func checkTypeMeta(_ object: JSONValue, expected: GroupVersionKind) -> Result<JSONValue, Status> {
        guard case .object = object else {
            return .failure(badRequest(
                "the object provided is unrecognized (must be of type \(expected.kind)): "
                    + "couldn't get version/kind; json parse error: the body must be a JSON object"))
        }
        var result = object
        let apiVersion = object["apiVersion"]?.stringValue ?? ""
        let kind = object["kind"]?.stringValue ?? ""
        if !apiVersion.isEmpty && apiVersion != expected.apiVersion {
            return .failure(badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(expected.apiVersion))"))
        }
        if !kind.isEmpty && kind != expected.kind {
            let version = GroupVersion(apiVersion: apiVersion)?.version ?? expected.version
            return .failure(badRequest(
                "\(kind) in version \(quoted(version)) cannot be handled as a \(expected.kind): the kind in the data "
                    + "(\(kind)) does not match the expected kind (\(expected.kind))"))
        }
        if apiVersion.isEmpty { result["apiVersion"] = .string(expected.apiVersion) }
        if kind.isEmpty { result["kind"] = .string(expected.kind) }
        return .success(result)
    }

    /// Checks the body's `metadata.namespace` and (for updates) `metadata.name` against the
    /// URL; a missing namespace is filled in from the URL.
    ///
    /// - Parameters:
    ///   - urlNamespace: the namespace in the URL, `nil` for cluster-scoped resources.
    ///   - urlName: the name in the URL, `nil` on create.
    public static func checkNameAndNamespace(_ object: JSONValue, urlNamespace: String?, urlName: String?)
        -> Result<JSONValue, Status>
    {
        var result = object
        let namespace = object["metadata"]?["namespace"]?.stringValue ?? ""
        if let urlNamespace {
            if !namespace.isEmpty && namespace != urlNamespace {
                return .failure(badRequest(
                    "the namespace of the provided object does not match the namespace sent on the request"))
            }
            if namespace.isEmpty {
                var metadata = result["metadata"] ?? .object([:])
                metadata["namespace"] = .string(urlNamespace)
                result["metadata"] = metadata
            }
        }
        if let urlName {
            let name = object["metadata"]?["name"]?.stringValue ?? ""
            if name != urlName {
                return .failure(badRequest(
                    "the name of the object (\(name)) does not match the name on the URL (\(urlName))"))
            }
        }
        return .success(result)
    }

    static func badRequest(_ message: String) -> Status {
        Status(message: message, reason: StatusReason.badRequest, code: 400)
    }
}
