import Foundation
import KubeCore

/// Every failure of a request made through ``KubeClient``: an API error carrying the
/// server's ``Status``, a transport or TLS failure, a response that does not decode, a
/// credential that cannot be obtained.
///
/// Ask the `is...` properties for the common API outcomes (`isNotFound`, `isConflict`,
/// ...), or compare ``code``. Messages never contain tokens or keys.
public struct KubeError: Error, Sendable, CustomStringConvertible {
    /// Which stage failed. New codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable, Hashable {
            case api, transport, tlsVerification, decoding, credentials, invalidRequest, timeout, watchIdleTimeout
            case clientShutdown, responseTooLarge, streamClosed, portForward
        }
        fileprivate let value: Value

        /// The API server answered with a non-2xx status; ``KubeError/status`` holds its `Status`.
        public static let api = Code(value: .api)
        /// The connection could not be made or broke (refused, reset, DNS, closed mid-response).
        public static let transport = Code(value: .transport)
        /// The server's certificate does not verify against the configured CA (or its name does not match).
        public static let tlsVerification = Code(value: .tlsVerification)
        /// A 2xx response whose body is not the expected JSON; the message names the JSON path.
        public static let decoding = Code(value: .decoding)
        /// The token file, exec plugin or client certificate could not produce credentials.
        public static let credentials = Code(value: .credentials)
        /// The request could not be built (empty name, missing namespace, unencodable body).
        public static let invalidRequest = Code(value: .invalidRequest)
        /// The request did not complete within ``ClientConfig/Timeouts/request`` (head and body; for a
        /// watch or followed log, the response head), or could not connect within `connect`.
        public static let timeout = Code(value: .timeout)
        /// A watch received nothing for ``ClientConfig/Timeouts/watchIdle`` and was closed as dead.
        public static let watchIdleTimeout = Code(value: .watchIdleTimeout)
        /// The client was shut down.
        public static let clientShutdown = Code(value: .clientShutdown)
        /// A response body or a watch line exceeded the client's size limit.
        public static let responseTooLarge = Code(value: .responseTooLarge)
        /// An exec, attach or port-forward connection ended before its end was signalled (no exit
        /// status arrived): the connection was cut, or the stream was closed from this side.
        public static let streamClosed = Code(value: .streamClosed)
        /// The kubelet reported an error on a forwarded port (nothing listens there, the connection failed).
        public static let portForward = Code(value: .portForward)

        public var description: String { value.rawValue }
    }

    public let code: Code
    /// What went wrong, in words.
    public let message: String
    /// The API `Status` of an ``Code/api`` error: as sent by the server, or synthesized from the
    /// HTTP status like client-go does when the body is not a `Status`.
    public let status: Status?
    /// The error below this one, whole, when the failure came from the transport (NIO's
    /// `IOError` or `NIOConnectionError`, NIOSSL's `NIOSSLError`, AsyncHTTPClient's
    /// `HTTPClientError`): inspect it by type for details the ``code`` does not carry.
    /// `nil` for API errors and failures the client detected itself.
    public let underlying: (any Error)?

    init(_ code: Code, _ message: String, status: Status? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.underlying = underlying
    }

    /// An API error from a `Status`.
    public init(status: Status) {
        self.init(.api, status.message ?? "the server returned \(status.reason ?? "an error")", status: status)
    }

    static func credentials(_ message: String) -> KubeError { KubeError(.credentials, message) }

    public var description: String {
        guard let status else { return "\(code): \(message)" }
        return "\(status.reason ?? "Failure") (\(status.code.map(String.init) ?? "?")): \(message)"
    }

    /// The HTTP status code of an API error.
    public var statusCode: Int? { status?.code }
    /// The `Status.reason` of an API error (`NotFound`, `Conflict`, ...).
    public var reason: String? { status?.reason }

    /// client-go's rule: the reason decides; the HTTP code only when the reason is empty or `Unknown`.
    private func matches(_ reason: String, _ httpCode: Int) -> Bool {
        guard let status else { return false }
        if let statusReason = status.reason, !statusReason.isEmpty, statusReason != "Unknown" { return statusReason == reason }
        return status.code == httpCode
    }

    public var isNotFound: Bool { matches(StatusReason.notFound, 404) }
    public var isAlreadyExists: Bool { status?.reason == StatusReason.alreadyExists }
    /// A write lost an optimistic-concurrency race (stale `resourceVersion`): re-read and try again.
    public var isConflict: Bool { matches(StatusReason.conflict, 409) }
    /// `410 Gone` or reason `Expired`: the `resourceVersion` or continue token is too old; relist.
    public var isGone: Bool { matches(StatusReason.gone, 410) || status?.reason == StatusReason.expired }
    public var isForbidden: Bool { matches(StatusReason.forbidden, 403) }
    public var isUnauthorized: Bool { matches(StatusReason.unauthorized, 401) }
    public var isTooManyRequests: Bool { matches(StatusReason.tooManyRequests, 429) }
    /// `422`: the object failed validation; ``Status/details`` lists the invalid fields.
    public var isInvalid: Bool { matches(StatusReason.invalid, 422) }
    public var isInternalError: Bool { matches(StatusReason.internalError, 500) }
    public var isServiceUnavailable: Bool { matches(StatusReason.serviceUnavailable, 503) }
    public var isTimeout: Bool { code == .timeout || matches(StatusReason.timeout, 504) }
}
