import Foundation

/// `meta/v1.Status`: what the API server returns for every failed request (and for
/// some successful deletes), and what a watch `ERROR` event carries.
public struct Status: Codable, Sendable, Hashable, Error {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta?
    /// `Success` or `Failure`.
    public var status: String?
    public var message: String?
    /// A machine-readable reason: `NotFound`, `AlreadyExists`, `Conflict`, `Gone`, `Expired`, ...
    public var reason: String?
    public var details: StatusDetails?
    public var code: Int?

    public init(
        status: String? = "Failure", message: String? = nil, reason: String? = nil,
        details: StatusDetails? = nil, code: Int? = nil, metadata: ListMeta? = nil
    ) {
        self.apiVersion = "v1"
        self.kind = "Status"
        self.metadata = metadata ?? ListMeta()
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }
}

/// `meta/v1.StatusDetails`: which object a ``Status`` is about, and why.
public struct StatusDetails: Codable, Sendable, Hashable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    public var causes: [StatusCause]?
    public var retryAfterSeconds: Int?

    public init(
        name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil,
        causes: [StatusCause]? = nil, retryAfterSeconds: Int? = nil
    ) {
        self.name = name
        self.group = group
        self.kind = kind
        self.uid = uid
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// `meta/v1.StatusCause`: one reason an operation failed, often one invalid field.
public struct StatusCause: Codable, Sendable, Hashable {
    /// For example `FieldValueRequired`, `FieldValueInvalid`.
    public var reason: String?
    public var message: String?
    /// The JSON path of the field, for example `metadata.name`.
    public var field: String?

    public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}

/// The `reason` values kube-apiserver puts in a ``Status`` (`metav1.StatusReason`).
public enum StatusReason {
    public static let notFound = "NotFound"
    public static let alreadyExists = "AlreadyExists"
    public static let conflict = "Conflict"
    public static let gone = "Gone"
    public static let expired = "Expired"
    public static let invalid = "Invalid"
    public static let forbidden = "Forbidden"
    public static let unauthorized = "Unauthorized"
    public static let tooManyRequests = "TooManyRequests"
    public static let badRequest = "BadRequest"
    public static let methodNotAllowed = "MethodNotAllowed"
    public static let notAcceptable = "NotAcceptable"
    public static let requestEntityTooLarge = "RequestEntityTooLarge"
    public static let unsupportedMediaType = "UnsupportedMediaType"
    public static let internalError = "InternalError"
    public static let serviceUnavailable = "ServiceUnavailable"
    public static let timeout = "Timeout"
}
