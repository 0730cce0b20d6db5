import Foundation
import KubeCore

/// `admission.k8s.io/v1` `AdmissionReview`: what kube-apiserver POSTs to an admission
/// webhook (with ``request``) and what the webhook answers (with ``response``).
///
/// The Kubernetes OpenAPI document does not describe `admission.k8s.io`, so these types
/// are written by hand, in the shape of kube-rs `kube-core/src/admission.rs`. Objects stay
/// untyped (``JSONValue``) here; ``AdmissionRequest`` gives the typed view.
public struct AdmissionReview: Codable, Sendable, Hashable {
    public static let apiVersion = "admission.k8s.io/v1"
    public static let kind = "AdmissionReview"

    public var apiVersion: String
    public var kind: String
    public var request: Request?
    public var response: Response?

    public init(request: Request? = nil, response: Response? = nil) {
        self.apiVersion = Self.apiVersion
        self.kind = Self.kind
        self.request = request
        self.response = response
    }

    /// `admission/v1.AdmissionRequest`.
    public struct Request: Codable, Sendable, Hashable {
        /// Identifies this review; the response must echo it.
        public var uid: String
        /// The kind of ``object`` (possibly converted from ``requestKind`` by `matchPolicy: Equivalent`).
        public var kind: GroupVersionKind
        public var resource: GroupVersionResource
        public var subResource: String?
        /// What the client originally asked for, before any conversion.
        public var requestKind: GroupVersionKind?
        public var requestResource: GroupVersionResource?
        public var requestSubResource: String?
        public var name: String?
        public var namespace: String?
        /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
        public var operation: AdmissionOperation
        public var userInfo: UserInfo
        /// The object after the request (absent for DELETE); parsed from the review's JSON text
        /// on each read, since a typed handler decodes the text itself.
        public var object: JSONValue? {
            get { rawObject?.value }
            set { rawObject = newValue.map(RawJSON.init) }
        }
        /// The object before the request (UPDATE and DELETE), parsed on each read like ``object``.
        public var oldObject: JSONValue? {
            get { rawOldObject?.value }
            set { rawOldObject = newValue.map(RawJSON.init) }
        }
        /// ``object`` as it came: the bytes of the review, or a value set in Swift.
        var rawObject: RawJSON?
        var rawOldObject: RawJSON?
        /// `true` when the change will not be persisted; a webhook with side effects must not make them.
        public var dryRun: Bool?
        /// The operation's options (`CreateOptions`, `UpdateOptions`, `DeleteOptions`).
        public var options: JSONValue?

        public init(
            uid: String, kind: GroupVersionKind, resource: GroupVersionResource, subResource: String? = nil,
            requestKind: GroupVersionKind? = nil, requestResource: GroupVersionResource? = nil,
            requestSubResource: String? = nil, name: String? = nil, namespace: String? = nil,
            operation: AdmissionOperation, userInfo: UserInfo = UserInfo(), object: JSONValue? = nil,
            oldObject: JSONValue? = nil, dryRun: Bool? = nil, options: JSONValue? = nil
        ) {
            self.uid = uid
            self.kind = kind
            self.resource = resource
            self.subResource = subResource
            self.requestKind = requestKind
            self.requestResource = requestResource
            self.requestSubResource = requestSubResource
            self.name = name
            self.namespace = namespace
            self.operation = operation
            self.userInfo = userInfo
            self.rawObject = object.map(RawJSON.init)
            self.rawOldObject = oldObject.map(RawJSON.init)
            self.dryRun = dryRun
            self.options = options
        }

        enum CodingKeys: String, CodingKey {
            case uid, kind, resource, subResource, requestKind, requestResource, requestSubResource, name, namespace, operation
            case userInfo, dryRun, options
            case rawObject = "object", rawOldObject = "oldObject"
        }
    }

    /// `admission/v1.AdmissionResponse`.
    public struct Response: Codable, Sendable, Hashable {
        /// The request's ``Request/uid``, echoed.
        public var uid: String
        public var allowed: Bool
        /// Why the request was denied (message and HTTP code shown to the client).
        public var status: Status?
        /// An RFC 6902 JSON Patch (base64 on the wire, as `[]byte` in Go).
        public var patch: Data?
        /// `JSONPatch` when ``patch`` is set.
        public var patchType: String?
        public var auditAnnotations: [String: String]?
        /// Shown to the client as `Warning:` headers (kubectl prints them).
        public var warnings: [String]?

        public init(
            uid: String, allowed: Bool, status: Status? = nil, patch: Data? = nil, patchType: String? = nil,
            auditAnnotations: [String: String]? = nil, warnings: [String]? = nil
        ) {
            self.uid = uid
            self.allowed = allowed
            self.status = status
            self.patch = patch
            self.patchType = patchType
            self.auditAnnotations = auditAnnotations
            self.warnings = warnings
        }
    }
}

/// The operation an admission request is for.
public struct AdmissionOperation: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let create = AdmissionOperation(rawValue: "CREATE")
    public static let update = AdmissionOperation(rawValue: "UPDATE")
    public static let delete = AdmissionOperation(rawValue: "DELETE")
    public static let connect = AdmissionOperation(rawValue: "CONNECT")

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }
}

/// `authentication/v1.UserInfo`: who made the request.
public struct UserInfo: Codable, Sendable, Hashable {
    public var username: String?
    public var uid: String?
    public var groups: [String]?
    public var extra: [String: [String]]?

    public init(username: String? = nil, uid: String? = nil, groups: [String]? = nil, extra: [String: [String]]? = nil) {
        self.username = username
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }
}
