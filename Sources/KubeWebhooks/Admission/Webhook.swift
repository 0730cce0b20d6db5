import Foundation
import KubeCore
import Logging

/// One webhook endpoint: a path on the ``WebhookServer`` (or on any HTTP server, through
/// ``WebhookRouter``) and the handler that answers the reviews posted to it.
///
/// Make one with ``validate(_:path:name:timeout:_:)``, ``mutate(_:path:name:timeout:_:)``
/// or ``convert(path:name:timeout:hub:versions:)``.
public struct Webhook: Sendable {
    /// The URL path kube-apiserver posts to (`clientConfig.service.path`), for example `/validate-pods`.
    public let path: String
    /// The name in logs and metrics (defaults to the path).
    public let name: String
    /// How long a handler may take before the review is answered with a denial (admission)
    /// or a `Failure` (conversion). kube-apiserver's own default `timeoutSeconds` is 10 s;
    /// it does not send its timeout in the review, so set this below the configuration's.
    public let timeout: Duration

    enum Kind: Sendable {
        case admission(@Sendable (ReceivedAdmission, Logger) async throws -> AdmissionReview.Response)
        case conversion(@Sendable (ConversionReview.Request, Logger) async -> ConversionReview.Response)
    }

    let kind: Kind

    init(path: String, name: String?, timeout: Duration, kind: Kind) {
        self.path = path.hasPrefix("/") ? path : "/" + path
        self.name = name ?? self.path
        self.timeout = timeout
        self.kind = kind
    }

    /// A validating webhook for `K`: the handler allows, denies (with a message and code)
    /// or allows with warnings.
    ///
    /// ``AdmissionRequest/object`` is `nil` on DELETE (the object is in
    /// ``AdmissionRequest/oldObject``). An object that does not decode as `K` is denied
    /// with code 400; a handler that throws denies with the error's description (a
    /// thrown ``Status`` is used as it is); a handler slower than `timeout` denies with
    /// code 504 and is cancelled.
    public static func validate<K: KubeResource>(
        _ type: K.Type, path: String, name: String? = nil, timeout: Duration = .seconds(10),
        _ handler: @escaping @Sendable (AdmissionRequest<K>) async throws -> AdmissionDecision
    ) -> Webhook {
        Webhook(path: path, name: name, timeout: timeout, kind: .admission({ received, _ in
            let review = received.request
            let request = try AdmissionRequest<K>(
                review: review, object: received.objectBytes.map { try ObjectCoding.decode(K.self, bytes: $0) },
                oldObject: received.oldObjectBytes.map { try ObjectCoding.decode(K.self, bytes: $0) })
            let decision = try await handler(request)
            return AdmissionReview.Response(
                uid: review.uid, allowed: decision.allowed, status: decision.allowed ? nil : decision.status,
                auditAnnotations: decision.auditAnnotations.isEmpty ? nil : decision.auditAnnotations,
                warnings: decision.warnings.isEmpty ? nil : decision.warnings)
        }))
    }

    /// A mutating webhook for `K`: the handler changes `object` in place and the JSON
    /// Patch is computed from the difference (see ``JSONPatchDiff``).
    ///
    /// Fields of the received object that `K` does not know are kept exactly as they
    /// came: only what the handler changed is patched. Requests without an object
    /// (DELETE, CONNECT) are allowed without calling the handler. To deny, throw
    /// (``AdmissionDenied`` sets the code; see ``validate(_:path:name:timeout:_:)`` for
    /// decoding errors and timeouts).
    public static func mutate<K: KubeResource>(
        _ type: K.Type, path: String, name: String? = nil, timeout: Duration = .seconds(10),
        _ handler: @escaping @Sendable (AdmissionRequest<K>, inout K) async throws -> Void
    ) -> Webhook {
        Webhook(path: path, name: name, timeout: timeout, kind: .admission({ received, _ in
            let review = received.request
            guard let raw = review.object, let bytes = received.objectBytes else {
                return AdmissionReview.Response(uid: review.uid, allowed: true)
            }
            var object = try ObjectCoding.decode(K.self, bytes: bytes)
            let request = try AdmissionRequest<K>(
                review: review, object: object,
                oldObject: received.oldObjectBytes.map { try ObjectCoding.decode(K.self, bytes: $0) })
            let known = try ObjectCoding.encode(object)
            try await handler(request, &object)
            let mutated = try ObjectCoding.encode(object)
            if known == mutated { return AdmissionReview.Response(uid: review.uid, allowed: true) }
            let merged = MutationMerge.merge(received: raw, known: known, mutated: mutated)
            let operations = JSONPatchDiff.operations(from: raw, to: merged)
            if operations.isEmpty { return AdmissionReview.Response(uid: review.uid, allowed: true) }
            return AdmissionReview.Response(
                uid: review.uid, allowed: true, patch: try JSONPatchDiff.encoder.encode(operations), patchType: "JSONPatch")
        }))
    }
}

/// Typed objects to and from ``JSONValue``, through the fast `JSONReadable` reader when
/// the type has one (every generated model does).
enum ObjectCoding {
    struct DecodingFailed: Error, CustomStringConvertible {
        let description: String
    }

    static func decode<K: Decodable>(_ type: K.Type, from value: JSONValue) throws -> K {
        try decode(K.self, bytes: value.jsonBytes)
    }

    /// `K` from the JSON text of one object (as it came in a review).
    static func decode<K: Decodable>(_ type: K.Type, bytes: [UInt8]) throws -> K {
        do {
            if let readable = K.self as? any JSONReadable.Type {
                return try readable.read(from: bytes) as! K
            }
            return try JSONDecoder().decode(K.self, from: Data(bytes))
        } catch {
            throw DecodingFailed(description: "cannot decode object as \(K.self): \(error)")
        }
    }

    static func encode(_ object: some Encodable) throws -> JSONValue {
        try JSONValue.read(from: JSONEncoder().encode(object))
    }
}
