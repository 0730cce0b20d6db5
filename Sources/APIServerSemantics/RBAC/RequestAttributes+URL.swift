import Foundation
import KubeCore

extension RequestAttributes {
    /// kube-apiserver's `RequestInfoFactory.NewRequestInfo`: the authorization attributes of
    /// an HTTP request.
    ///
    /// `/api/v1/namespaces/ns/pods/p/log` → `get` `pods`/`log` named `p` in `ns`;
    /// a collection `GET` is `list` (or `watch` with `watch=true`/`1`), a collection `DELETE`
    /// is `deletecollection`; `/api/v1/watch/…` is `watch`; `/api/v1/namespaces/ns` is the
    /// namespace `ns` itself (and `…/ns/status`, `…/ns/finalize` its subresources); a list
    /// with `fieldSelector=metadata.name=x` is authorized for the name `x`. Anything outside
    /// `/api` and `/apis/<group>` is a non-resource request whose verb is the lower-case method.
    ///
    /// - Parameters:
    ///   - path: the URL path, already percent-decoded.
    ///   - query: the query parameters (`watch`, `fieldSelector`).
    public init(method: String, path: String, query: [String: String] = [:]) {
        let verb = method.lowercased()
        self = .nonResource(verb: verb, path: path)
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 3, parts[0] == "api" || parts[0] == "apis" else { return }
        let prefix = parts.removeFirst()
        var group = ""
        if prefix == "apis" {
            guard parts.count >= 3 else { return }
            group = parts.removeFirst()
        }
        let version = parts.removeFirst()
        var requestVerb: String
        if parts[0] == "watch" || parts[0] == "proxy" {
            guard parts.count >= 2 else { return }
            requestVerb = parts.removeFirst()
        } else {
            switch method.uppercased() {
            case "POST": requestVerb = "create"
            case "GET", "HEAD": requestVerb = "get"
            case "PUT": requestVerb = "update"
            case "PATCH": requestVerb = "patch"
            case "DELETE": requestVerb = "delete"
            default: requestVerb = ""
            }
        }
        var namespace = ""
        if parts[0] == "namespaces", parts.count > 1 {
            namespace = parts[1]
            if parts.count > 2 && parts[2] != "status" && parts[2] != "finalize" {
                parts.removeFirst(2)
            }
        }
        var resource = ""
        var name = ""
        var subresource = ""
        if parts.count >= 3 && requestVerb != "proxy" { subresource = parts[2] }
        if parts.count >= 2 { name = parts[1] }
        if parts.count >= 1 { resource = parts[0] }
        if name.isEmpty && requestVerb == "get" {
            let watch = query["watch"].map { !["false", "0", "f"].contains($0.lowercased()) } ?? false
            requestVerb = watch ? "watch" : "list"
            if let selector = query["fieldSelector"], let parsed = try? FieldSelector(parsing: selector) {
                let exact = parsed.requirements.filter { $0.field == "metadata.name" && $0.equals }
                if exact.count == 1, ObjectValidation.validateName(exact[0].value, rule: .pathSegment, prefix: false).isEmpty {
                    name = exact[0].value
                }
            }
        }
        if name.isEmpty && requestVerb == "delete" { requestVerb = "deletecollection" }
        self = .resource(
            verb: requestVerb, apiGroup: group, apiVersion: version, resource: resource, subresource: subresource,
            name: name, namespace: namespace)
    }
}
