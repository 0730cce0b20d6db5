import KubeCore

/// One admission request, with the object decoded as `K`.
public struct AdmissionRequest<K: KubeResource>: Sendable {
    /// The untyped request as it came (raw ``AdmissionReview/Request/object`` included).
    public let review: AdmissionReview.Request
    /// The object after the request; `nil` for DELETE (and CONNECT).
    public let object: K?
    /// The object before the request, on UPDATE and DELETE.
    public let oldObject: K?

    public var uid: String { review.uid }
    public var operation: AdmissionOperation { review.operation }
    public var kind: GroupVersionKind { review.kind }
    public var resource: GroupVersionResource { review.resource }
    /// `status`, `scale`, … when the request is for a subresource.
    public var subResource: String? { review.subResource }
    public var name: String? { review.name }
    public var namespace: String? { review.namespace }
    public var userInfo: UserInfo { review.userInfo }
    /// `true` when nothing will be persisted: a handler with side effects must not make them.
    public var dryRun: Bool { review.dryRun ?? false }

    public init(review: AdmissionReview.Request, object: K?, oldObject: K?) {
        self.review = review
        self.object = object
        self.oldObject = oldObject
    }
}

/// What a validating handler decides.
public struct AdmissionDecision: Sendable, Hashable {
    public var allowed: Bool
    /// For a denial: the message and HTTP code the client sees.
    public var status: Status?
    /// Shown to the client as `Warning:` headers, allowed or not.
    public var warnings: [String]
    public var auditAnnotations: [String: String]

    public init(allowed: Bool, status: Status? = nil, warnings: [String] = [], auditAnnotations: [String: String] = [:]) {
        self.allowed = allowed
        self.status = status
        self.warnings = warnings
        self.auditAnnotations = auditAnnotations
    }

    /// Allows the request.
    public static let allow = AdmissionDecision(allowed: true)

    /// Allows the request and shows `warnings` to the client.
    public static func allow(warnings: [String]) -> AdmissionDecision {
        AdmissionDecision(allowed: true, warnings: warnings)
    }

    /// Denies the request: kube-apiserver answers the client with `code` and
    /// `admission webhook "NAME" denied the request: MESSAGE`.
    public static func deny(_ message: String, code: Int = 403, reason: String? = "Forbidden", warnings: [String] = [])
        -> AdmissionDecision
    {
        AdmissionDecision(allowed: false, status: Status(message: message, reason: reason, code: code), warnings: warnings)
    }
}

/// Thrown by a mutating handler to deny the request (any other error denies too, with
/// its description; a thrown ``Status`` is used as it is).
public struct AdmissionDenied: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var code: Int

    public init(_ message: String, code: Int = 403) {
        self.message = message
        self.code = code
    }

    public var description: String { message }
}
