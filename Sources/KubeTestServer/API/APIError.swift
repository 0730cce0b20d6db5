import Foundation
import KubeCore

/// A failed request as kube-apiserver reports it: an HTTP code and a `Status` body
/// with the same reason, message shape and details (`k8s.io/apimachinery/pkg/api/errors`).
struct APIError: Error, Sendable {
    var status: Status
    var retryAfterSeconds: Int?
    /// A plain-text body instead of the `Status` JSON: what kube-apiserver's mux answers for a path
    /// no API group serves (`404 page not found`).
    var plainText: String?

    init(code: Int, reason: String, message: String, details: StatusDetails? = nil, retryAfterSeconds: Int? = nil) {
        self.status = Status(message: message, reason: reason, details: details, code: code)
        self.retryAfterSeconds = retryAfterSeconds
    }

    var code: Int { status.code ?? 500 }

    /// The `Status` JSON body.
    var statusJSON: Data { JSONWriter.encode(status) }

    /// The full HTTP response, with `Retry-After` when set.
    var response: ServerResponse {
        if let plainText { return .text(code, plainText) }
        var headers: [(String, String)] = []
        if let retryAfterSeconds { headers.append(("Retry-After", "\(retryAfterSeconds)")) }
        if code == 401 { headers.append(("WWW-Authenticate", "Bearer")) }
        return .json(code, statusJSON, extraHeaders: headers)
    }

    // MARK: - The constructors kube-apiserver uses

    /// `pods "web" not found`.
    static func notFound(_ resource: GroupResource, _ name: String) -> APIError {
        APIError(code: 404, reason: StatusReason.notFound, message: "\(resource) \"\(name)\" not found",
                 details: StatusDetails(name: name, group: resource.group.nilIfEmpty, kind: resource.resource))
    }

    /// `pods "web" already exists`.
    static func alreadyExists(_ resource: GroupResource, _ name: String) -> APIError {
        APIError(code: 409, reason: StatusReason.alreadyExists, message: "\(resource) \"\(name)\" already exists",
                 details: StatusDetails(name: name, group: resource.group.nilIfEmpty, kind: resource.resource))
    }

    /// `Operation cannot be fulfilled on pods "web": <why>`.
    static func conflict(_ resource: GroupResource, _ name: String, _ why: String) -> APIError {
        APIError(code: 409, reason: StatusReason.conflict,
                 message: "Operation cannot be fulfilled on \(resource) \"\(name)\": \(why)",
                 details: StatusDetails(name: name, group: resource.group.nilIfEmpty, kind: resource.resource))
    }

    static let modifiedMessage = "the object has been modified; please apply your changes to the latest version and try again"

    /// `Pod "web" is invalid: metadata.name: Required value: ...` (422 with causes).
    static func invalid(kind: String, group: String, name: String, causes: [StatusCause]) -> APIError {
        let kindText = group.isEmpty ? kind : "\(kind).\(group)"
        // Go's `ErrorList.ToAggregate` lists each message once; the causes keep every error.
        var seen: Set<String> = []
        let parts = causes.map { cause in
            [cause.field, cause.message].compactMap { $0 }.joined(separator: ": ")
        }.filter { seen.insert($0).inserted }
        let joined = parts.count == 1 ? parts[0] : "[" + parts.joined(separator: ", ") + "]"
        return APIError(code: 422, reason: StatusReason.invalid, message: "\(kindText) \"\(name)\" is invalid: \(joined)",
                        details: StatusDetails(name: name.isEmpty ? nil : name, group: group.nilIfEmpty, kind: kind.nilIfEmpty, causes: causes))
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: StatusReason.badRequest, message: message)
    }

    /// `pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "ns"`.
    static func forbidden(_ resource: GroupResource, name: String, reason: String) -> APIError {
        let subject = name.isEmpty ? "\(resource)" : "\(resource) \"\(name)\""
        return APIError(code: 403, reason: StatusReason.forbidden, message: "\(subject) is forbidden: \(reason)",
                        details: StatusDetails(name: name.isEmpty ? nil : name, group: resource.group.nilIfEmpty, kind: resource.resource))
    }

    /// NamespaceLifecycle's answer to a create in a namespace being deleted:
    /// `configmaps "c" is forbidden: unable to create new content in namespace ns because it
    /// is being terminated`, with a `NamespaceTerminating` cause.
    static func namespaceTerminating(_ resource: GroupResource, name: String, namespace: String) -> APIError {
        var error = forbidden(resource, name: name, reason: "unable to create new content in namespace \(namespace) because it is being terminated")
        error.status.details?.causes = [
            StatusCause(reason: "NamespaceTerminating", message: "namespace \(namespace) is being terminated", field: "metadata.namespace")
        ]
        return error
    }

    /// `forbidden: User "x" cannot get path "/foo"` for non-resource URLs.
    static func forbiddenPath(user: String, verb: String, path: String) -> APIError {
        APIError(code: 403, reason: StatusReason.forbidden,
                 message: "forbidden: User \"\(user)\" cannot \(verb) path \"\(path)\"", details: StatusDetails())
    }

    static let unauthorized = APIError(code: 401, reason: StatusReason.unauthorized, message: "Unauthorized")

    /// The 404 for an unknown resource of a served group version: a `Status` with empty details.
    static let pathNotFound = APIError(code: 404, reason: StatusReason.notFound, message: "the server could not find the requested resource",
                                       details: StatusDetails())

    /// The 404 for a path outside every served group version (an unknown group or version, a
    /// namespaced path of a cluster-scoped resource, an unknown health check): kube-apiserver's mux
    /// answers `404 page not found` as plain text, not a `Status`.
    static let pageNotFound: APIError = {
        var error = APIError(code: 404, reason: StatusReason.notFound, message: "404 page not found")
        error.plainText = "404 page not found\n"
        return error
    }()

    static func methodNotSupported(_ resource: GroupResource, verb: String) -> APIError {
        APIError(code: 405, reason: StatusReason.methodNotAllowed,
                 message: "\(verb) is not supported on resources of kind \"\(resource)\"",
                 details: StatusDetails(group: resource.group.nilIfEmpty, kind: resource.resource))
    }

    /// 410 Expired: `too old resource version: 5 (10)` and expired continue tokens.
    static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: StatusReason.expired, message: message)
    }

    static func tooOldResourceVersion(_ requested: Int64, oldest: Int64) -> APIError {
        expired("too old resource version: \(requested) (\(oldest))")
    }

    static let continueTooOld = expired(
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
    )

    static func tooLargeResourceVersion(_ requested: Int64, current: Int64) -> APIError {
        APIError(code: 504, reason: StatusReason.timeout,
                 message: "Timeout: Too large resource version: \(requested), current: \(current)",
                 details: StatusDetails(causes: [StatusCause(reason: "ResourceVersionTooLarge", message: "Too large resource version")], retryAfterSeconds: 1),
                 retryAfterSeconds: 1)
    }

    static func tooManyRequests(retryAfterSeconds: Int?) -> APIError {
        APIError(code: 429, reason: StatusReason.tooManyRequests,
                 message: "The server has received too many requests and has asked us to try again later",
                 details: StatusDetails(retryAfterSeconds: retryAfterSeconds), retryAfterSeconds: retryAfterSeconds)
    }

    static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: StatusReason.internalError, message: "Internal error occurred: \(message)",
                 details: StatusDetails(causes: [StatusCause(message: message)]))
    }

    static func serviceUnavailable(_ message: String, retryAfterSeconds: Int?) -> APIError {
        APIError(code: 503, reason: StatusReason.serviceUnavailable, message: message,
                 details: StatusDetails(retryAfterSeconds: retryAfterSeconds), retryAfterSeconds: retryAfterSeconds)
    }

    /// A generic status for injected faults with other codes.
    static func injected(code: Int, retryAfterSeconds: Int?) -> APIError {
        switch code {
        case 429: return tooManyRequests(retryAfterSeconds: retryAfterSeconds)
        case 503: return serviceUnavailable("the server is currently unable to handle the request", retryAfterSeconds: retryAfterSeconds)
        case 500:
            // kube's InternalError with the fault's Retry-After, as documented on `failNextRequests`.
            var error = internalError("injected fault")
            error.retryAfterSeconds = retryAfterSeconds
            error.status.details?.retryAfterSeconds = retryAfterSeconds
            return error
        default:
            return APIError(code: code, reason: code >= 500 ? StatusReason.internalError : StatusReason.badRequest,
                            message: "injected fault (\(code))", details: StatusDetails(retryAfterSeconds: retryAfterSeconds),
                            retryAfterSeconds: retryAfterSeconds)
        }
    }

    static func requestEntityTooLarge(limit: Int) -> APIError {
        APIError(code: 413, reason: StatusReason.requestEntityTooLarge, message: "Request entity too large: limit is \(limit)")
    }

    /// The 415 of kube-apiserver's router for a PATCH whose `Content-Type` no patch route consumes.
    static let routeUnsupportedMediaType = APIError(
        code: 415, reason: StatusReason.unsupportedMediaType, message: "415: Unsupported Media Type", details: StatusDetails())

    /// The 405 of kube-apiserver's router for a method the path has no route for (POST to a named
    /// object, PUT or PATCH on a collection, GET on a create-only review resource).
    static let routeMethodNotAllowed = APIError(
        code: 405, reason: StatusReason.methodNotAllowed, message: "the server does not allow this method on the requested resource",
        details: StatusDetails())

    /// `Operation cannot be fulfilled on ConfigMap "x": the UID in the precondition (…) does not
    /// match the UID in record (…). …`: a failed delete precondition, worded by the storage layer
    /// with the kind (not the resource) in the message and details.
    static func deletePreconditionFailed(_ resource: ServedResource, _ name: String, field: String, expected: String, actual: String) -> APIError {
        let consequence = field == "UID" ? "The object might have been deleted and then recreated" : "The object might have been modified"
        return APIError(
            code: 409, reason: StatusReason.conflict,
            message: "Operation cannot be fulfilled on \(resource.kind) \"\(name)\": the \(field) in the precondition (\(expected)) does not match the \(field) in record (\(actual)). \(consequence)",
            details: StatusDetails(name: name, group: resource.group.nilIfEmpty, kind: resource.kind))
    }

    static func unsupportedMediaType(_ contentType: String, accepted: [String]) -> APIError {
        APIError(code: 415, reason: StatusReason.unsupportedMediaType,
                 message: "the body of the request was in an unknown format - accepted media types include: \(accepted.joined(separator: ", "))")
    }

    static func notAcceptable(_ accepted: [String]) -> APIError {
        APIError(code: 406, reason: StatusReason.notAcceptable,
                 message: "only the following media types are accepted: \(accepted.joined(separator: ", "))")
    }
}

/// A resource and its group, printed like kube's `schema.GroupResource` (`pods`, `deployments.apps`).
struct GroupResource: Sendable, Hashable, CustomStringConvertible {
    var group: String
    var resource: String

    var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}

/// One field error, worded like `field.ErrorList` entries.
enum FieldError {
    static func required(_ field: String, _ detail: String) -> StatusCause {
        StatusCause(reason: "FieldValueRequired", message: detail.isEmpty ? "Required value" : "Required value: \(detail)", field: field)
    }

    static func invalid(_ field: String, _ value: String, _ detail: String) -> StatusCause {
        StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(value)\": \(detail)", field: field)
    }

    static func forbidden(_ field: String, _ detail: String) -> StatusCause {
        StatusCause(reason: "FieldValueForbidden", message: "Forbidden: \(detail)", field: field)
    }
}

extension String {
    /// `nil` for `""`: Status details leave out the core group (Go's `omitempty`).
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
