import Foundation
import KubeCore

extension RBACAuthorizer {
    /// kube-apiserver's `forbiddenMessage` (responsewriters/errors.go):
    /// `User "u" cannot list resource "pods" in API group "" in the namespace "ns"`,
    /// `… at the cluster scope`, `User "u" cannot get path "/foo"`.
    public static func forbiddenMessage(user: UserInfo, request: RequestAttributes) -> String {
        guard request.isResourceRequest else {
            return "User \(quoted(user.name)) cannot \(request.verb) path \(quoted(request.path))"
        }
        let resource = request.subresource.isEmpty ? request.resource : request.resource + "/" + request.subresource
        let head = "User \(quoted(user.name)) cannot \(request.verb) resource \(quoted(resource)) "
            + "in API group \(quoted(request.apiGroup))"
        if !request.namespace.isEmpty { return head + " in the namespace \(quoted(request.namespace))" }
        return head + " at the cluster scope"
    }

    /// The 403 `Status` kube-apiserver sends for a denied request (`responsewriters.Forbidden`
    /// with `apierrors.NewForbidden`): `pods is forbidden: User "…" cannot list resource
    /// "pods" in API group "" in the namespace "ns"`, with the authorizer's reason appended
    /// after `: ` when there is one.
    public static func forbiddenStatus(user: UserInfo, request: RequestAttributes, reason: String = "") -> Status {
        var message = forbiddenMessage(user: user, request: request)
        for (from, to) in [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")] {
            message = message.replacingOccurrences(of: from, with: to)
        }
        if !reason.isEmpty { message += ": " + reason }
        let groupResource = request.apiGroup.isEmpty ? request.resource : "\(request.resource).\(request.apiGroup)"
        let full: String
        if groupResource.isEmpty {
            full = "forbidden: " + message
        } else if request.name.isEmpty {
            full = "\(groupResource) is forbidden: \(message)"
        } else {
            full = "\(groupResource) \(quoted(request.name)) is forbidden: \(message)"
        }
        let details = StatusDetails(
            name: request.name.isEmpty ? nil : request.name, group: request.apiGroup.isEmpty ? nil : request.apiGroup,
            kind: request.resource.isEmpty ? nil : request.resource)
        return Status(message: full, reason: StatusReason.forbidden, details: details, code: 403)
    }
}
