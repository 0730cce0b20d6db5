import AsyncHTTPClient
import Foundation
import KubeCore
import NIOCore
import NIOHTTPCompression
import NIOPosix
import NIOSSL
import Testing

@testable import KubeClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The send path's retry rules, without a network: every input of ``RetryStep/decide`` and
/// what it must answer.
@Suite("Retry step (pure)", .timeLimit(.minutes(1)))
struct RetryStepTests {
    let policy = RetryPolicy(maxAttempts: 3, maxDelay: .seconds(5))

    func request(_ method: KubeRequest.Method = .get, replayable: Bool = true, attempt: Int = 1, canReauthenticate: Bool = false)
        -> RetryStep.Request
    {
        RetryStep.Request(method: method, isReplayable: replayable, attempt: attempt, canReauthenticate: canReauthenticate)
    }

    func decide(_ outcome: RetryStep.Outcome, _ request: RetryStep.Request) -> RetryStep.Decision {
        RetryStep.decide(outcome, request: request, policy: policy)
    }

    @Test func successIsDelivered() {
        for code in [200, 201, 204, 299] { #expect(decide(.response(code: code, retryAfter: "3"), request()) == .deliver) }
    }

    @Test func retryAfterOn429And5xxForReplayableRequestsWithAttemptsLeft() {
        #expect(decide(.response(code: 429, retryAfter: "2"), request()) == .retry(after: .seconds(2)))
        #expect(decide(.response(code: 503, retryAfter: " 0 "), request(.post)) == .retry(after: .zero))
        #expect(decide(.response(code: 500, retryAfter: "1"), request(.delete, attempt: 2)) == .retry(after: .seconds(1)))
        // Capped at maxDelay.
        #expect(decide(.response(code: 429, retryAfter: "600"), request()) == .retry(after: .seconds(5)))
        // The last attempt, a stream, no or a bad Retry-After, another status: final.
        #expect(decide(.response(code: 429, retryAfter: "1"), request(attempt: 3)) == .fail)
        #expect(decide(.response(code: 429, retryAfter: "1"), request(replayable: false)) == .fail)
        #expect(decide(.response(code: 503, retryAfter: nil), request()) == .fail)
        #expect(decide(.response(code: 503, retryAfter: "-1"), request()) == .fail)
        #expect(decide(.response(code: 503, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"), request()) == .fail)
        #expect(decide(.response(code: 409, retryAfter: "1"), request()) == .fail)
        #expect(decide(.response(code: 404, retryAfter: nil), request()) == .fail)
    }

    @Test func unauthorizedReauthenticatesOnceWhenTheCredentialCanBeReread() {
        #expect(decide(.response(code: 401, retryAfter: nil), request(canReauthenticate: true)) == .reauthenticate)
        // Even on a watch (nothing was streamed yet) and on the last attempt.
        #expect(decide(.response(code: 401, retryAfter: nil), request(replayable: false, attempt: 3, canReauthenticate: true)) == .reauthenticate)
        #expect(decide(.response(code: 401, retryAfter: nil), request(canReauthenticate: false)) == .fail)
    }

    @Test func connectionFailuresAreRetriedForReadsOnly() {
        for kind in [TransportFailure.Kind.connectFailed, .connectTimeout, .connectionLost] {
            #expect(decide(.failure(kind), request(.get)) == .retry(after: RetryStep.connectionRetryDelay), "\(kind)")
            #expect(decide(.failure(kind), request(.get, attempt: 2)) == .retry(after: RetryStep.connectionRetryDelay), "\(kind)")
            // Writes fail at once, even when nothing reached the server.
            for method in [KubeRequest.Method.post, .put, .patch, .delete] {
                #expect(decide(.failure(kind), request(method)) == .fail, "\(kind) \(method)")
            }
            // The last attempt, a stream, or connection retries turned off: final.
            #expect(decide(.failure(kind), request(.get, attempt: 3)) == .fail)
            #expect(decide(.failure(kind), request(.get, replayable: false)) == .fail)
            let noConnectionRetries = RetryPolicy(maxAttempts: 3, retryConnectionErrors: false)
            #expect(RetryStep.decide(.failure(kind), request: request(), policy: noConnectionRetries) == .fail)
        }
        // The delay never exceeds maxDelay.
        let short = RetryPolicy(maxAttempts: 3, maxDelay: .milliseconds(200))
        #expect(RetryStep.decide(.failure(.connectFailed), request: request(), policy: short) == .retry(after: .milliseconds(200)))
    }

    @Test func tlsFailuresTimeoutsAndTheRestAreFinal() {
        for kind in [TransportFailure.Kind.tlsUntrusted, .tlsHostname, .tlsHandshake, .timeout, .cancelled, .clientShutdown, .other] {
            #expect(decide(.failure(kind), request()) == .fail, "\(kind)")
        }
    }
}

/// Transport errors are classified by their type, and the cause is kept whole.
@Suite("Transport failures by type", .timeLimit(.minutes(1)))
struct TransportFailureTests {
    @Test func asyncHTTPClientErrors() {
        #expect(TransportFailure(HTTPClientError.deadlineExceeded).kind == .timeout)
        #expect(TransportFailure(HTTPClientError.readTimeout).kind == .timeout)
        #expect(TransportFailure(HTTPClientError.connectTimeout).kind == .connectTimeout)
        #expect(TransportFailure(HTTPClientError.tlsHandshakeTimeout).kind == .connectTimeout)
        #expect(TransportFailure(HTTPClientError.remoteConnectionClosed).kind == .connectionLost)
        #expect(TransportFailure(HTTPClientError.cancelled).kind == .connectionLost)  // a pooled connection torn down, not our task
        #expect(TransportFailure(HTTPClientError.alreadyShutdown).kind == .clientShutdown)
        #expect(TransportFailure(CancellationError()).kind == .cancelled)
    }

    /// The inflater's errors: a bomb is `responseTooLarge`, broken gzip a decoding error; neither is retried.
    @Test func decompressionErrors() {
        let bomb = TransportFailure(NIOHTTPDecompression.DecompressionError.limit)
        #expect(bomb.kind == .decompressedTooLarge)
        #expect(bomb.kubeError(server: "https://k").code == .responseTooLarge)
        let broken = TransportFailure(NIOHTTPDecompression.DecompressionError.inflationError(-3))
        #expect(broken.kind == .invalidEncoding)
        #expect(broken.kubeError(server: "https://k").code == .decoding)
        #expect(TransportFailure(NIOHTTPDecompression.ExtraDecompressionError.truncatedData).kind == .invalidEncoding)
        let request = RetryStep.Request(method: .get, isReplayable: true, attempt: 1, canReauthenticate: false)
        #expect(RetryStep.decide(.failure(.decompressedTooLarge), request: request, policy: RetryPolicy()) == .fail)
        #expect(RetryStep.decide(.failure(.invalidEncoding), request: request, policy: RetryPolicy()) == .fail)
    }

    @Test func nioErrorsByErrnoAndCase() {
        #expect(TransportFailure(IOError(errnoCode: ECONNREFUSED, reason: "connect")).kind == .connectFailed)
        #expect(TransportFailure(IOError(errnoCode: ENETUNREACH, reason: "connect")).kind == .connectFailed)
        #expect(TransportFailure(IOError(errnoCode: ECONNRESET, reason: "read")).kind == .connectionLost)
        #expect(TransportFailure(ChannelError.eof).kind == .connectionLost)
        #expect(TransportFailure(ChannelError.ioOnClosedChannel).kind == .connectionLost)
        #expect(TransportFailure(ChannelError.connectTimeout(.seconds(1))).kind == .connectTimeout)
        #expect(!TransportFailure(IOError(errnoCode: ECONNREFUSED, reason: "connect")).reachedServer)
        #expect(TransportFailure(IOError(errnoCode: ECONNRESET, reason: "read")).reachedServer)
    }

    @Test func tlsErrors() {
        #expect(TransportFailure(NIOSSLExtraError.failedToValidateHostname).kind == .tlsHostname)
        #expect(TransportFailure(NIOSSLError.handshakeFailed(.sslError([.eofDuringHandshake]))).kind == .connectFailed)
        #expect(TransportFailure(NIOSSLError.handshakeFailed(.sslError([]))).kind == .tlsHandshake)
        #expect(TransportFailure(NIOSSLError.uncleanShutdown).kind == .connectionLost)
    }

    @Test func aMessageThatMerelyMentionsAFailureIsNotThatFailure() {
        // The old classifier matched words of the description; a type it does not know stays `other`.
        struct Mentions: Error, CustomStringConvertible {
            var description: String { "CERTIFICATE_VERIFY_FAILED: connection refused, reset by peer" }
        }
        let failure = TransportFailure(Mentions())
        #expect(failure.kind == .other)
        let error = failure.kubeError(server: "https://10.0.0.1")
        #expect(error.code == .transport)
    }

    @Test func theUnderlyingErrorIsKeptWhole() {
        struct Long: Error, CustomStringConvertible {
            var description: String { String(repeating: "x", count: 1000) }
        }
        let error = TransportFailure(Long()).kubeError(server: "https://10.0.0.1")
        #expect(error.underlying is Long)
        #expect(error.message.contains(String(repeating: "x", count: 1000)))
        let refused = TransportFailure(IOError(errnoCode: ECONNREFUSED, reason: "connect")).kubeError(server: "https://10.0.0.1")
        #expect((refused.underlying as? IOError)?.errnoCode == ECONNREFUSED)
    }

    @Test func aRefusedConnectionOverTheWireKeepsNIOsError() async throws {
        let server = try await StubServer.start { _ in .json(200, "{}") }
        let port = server.port
        await server.shutdown()
        let client = try KubeClient(config: ClientConfig(server: "http://127.0.0.1:\(port)", retry: RetryPolicy(maxAttempts: 1)))
        let error = await #expect(throws: KubeError.self) { _ = try await client.version() }
        #expect(error?.code == .transport)
        // NIO reports it as the socket's `IOError` (or a `NIOConnectionError` listing one per address).
        let errno: [CInt] =
            switch error?.underlying {
            case let cause as IOError: [cause.errnoCode]
            case let cause as NIOConnectionError: cause.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }
            default: []
            }
        #expect(errno.contains(ECONNREFUSED), "\(String(describing: error?.underlying))")
        try await client.shutdown()
    }
}
