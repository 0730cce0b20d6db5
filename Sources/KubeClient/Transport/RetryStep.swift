import Foundation
import KubeCore

/// The send path's retry rules as one pure function: what to do after an attempt, from
/// what that attempt got (a status code and its `Retry-After`, or a classified transport
/// failure) and what the request allows. No I/O and no clock: ``KubeClient``'s send loop
/// performs the decision (client-go `rest/with_retry.go`, `request.go`'s `isErrRetryableFunc`).
///
/// The rules, in order:
/// - 2xx: ``Decision/deliver``.
/// - 401 once per request when the credential can be re-read (token file, exec plugin):
///   ``Decision/reauthenticate`` (invalidate, then send again at once).
/// - 429 or 5xx with an integer `Retry-After` (seconds, ≥ 0), a replayable body and attempts
///   left: retry after that many seconds, capped at ``RetryPolicy/maxDelay``.
/// - A connection failure (refused, unreachable, connect timeout, or lost under the request)
///   of a `GET` with attempts left and ``RetryPolicy/retryConnectionErrors``: retry after
///   ``connectionRetryDelay`` (an API server restarting). A write is not resent, even when the
///   failure kind says nothing reached the server (``TransportFailure/reachedServer``): like
///   client-go, writes fail at once so the caller (a controller's requeue) decides.
/// - Everything else is final (``Decision/fail``): other statuses, TLS verification and
///   handshake failures, timeouts, watches and followed logs (not replayable).
enum RetryStep {
    /// What one attempt got.
    enum Outcome: Sendable, Hashable {
        /// A response head: the status code and the raw `Retry-After` header, if any.
        case response(code: Int, retryAfter: String?)
        /// No response: the failure classified by type (which also says whether the request can
        /// have reached the server, ``TransportFailure/reachedServer``).
        case failure(TransportFailure.Kind)
    }

    /// What the request allows.
    struct Request: Sendable, Hashable {
        var method: KubeRequest.Method
        var isReplayable: Bool
        /// Attempts made so far, this one included (the first attempt is 1).
        var attempt: Int
        /// The credential can be re-read and has not been re-read for this request yet.
        var canReauthenticate: Bool
    }

    enum Decision: Sendable, Hashable {
        /// A 2xx: hand the response to the caller.
        case deliver
        /// Final: turn the outcome into an error.
        case fail
        /// Re-read the credential and send again at once.
        case reauthenticate
        /// Send again after the delay.
        case retry(after: Duration)
    }

    /// How long to wait before resending after a connection failure (an API server restarting).
    static let connectionRetryDelay: Duration = .seconds(1)

    static func decide(_ outcome: Outcome, request: Request, policy: RetryPolicy) -> Decision {
        let attemptsLeft = request.attempt < policy.maxAttempts
        switch outcome {
        case .response(let code, let retryAfterHeader):
            if (200..<300).contains(code) { return .deliver }
            if code == 401, request.canReauthenticate { return .reauthenticate }
            guard code == 429 || code >= 500, let seconds = retryAfterSeconds(retryAfterHeader), request.isReplayable, attemptsLeft else {
                return .fail
            }
            return .retry(after: min(.seconds(seconds), policy.maxDelay))
        case .failure(let kind):
            guard policy.retryConnectionErrors, request.isReplayable, request.method == .get, attemptsLeft else { return .fail }
            switch kind {
            case .connectFailed, .connectTimeout, .connectionLost:
                return .retry(after: min(connectionRetryDelay, policy.maxDelay))
            case .cancelled, .clientShutdown, .tlsUntrusted, .tlsHostname, .tlsHandshake, .timeout, .decompressedTooLarge, .invalidEncoding, .other:
                return .fail
            }
        }
    }

    /// `Retry-After` as client-go reads it: a non-negative integer number of seconds
    /// (surrounding spaces allowed); anything else (an HTTP date, garbage) is no value.
    static func retryAfterSeconds(_ header: String?) -> Int? {
        guard let header, let seconds = Int(header.trimmingCharacters(in: .whitespaces)), seconds >= 0 else { return nil }
        return seconds
    }
}
