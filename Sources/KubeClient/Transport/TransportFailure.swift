import AsyncHTTPClient
import NIOCore
import NIOHTTPCompression
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure below HTTP (no response head), classified by the error's type (never by the
/// words of its message) into what the retry step and the caller need to know: what kind of
/// failure it is and whether the request can have reached the server.
struct TransportFailure: Sendable {
    enum Kind: Sendable, Hashable {
        /// The caller's task was cancelled.
        case cancelled
        /// The client was shut down.
        case clientShutdown
        /// TCP connect, the TLS handshake or the wait for a pooled connection took too long.
        case connectTimeout
        /// Refused, unreachable, a DNS failure, or the peer closed during the handshake.
        case connectFailed
        /// The server's certificate chain does not verify against the configured CA.
        case tlsUntrusted
        /// The server's certificate does not cover the host name or IP it was reached by.
        case tlsHostname
        /// Any other TLS handshake failure (protocol, ciphers, a rejected client certificate).
        case tlsHandshake
        /// The request's deadline passed after it was sent.
        case timeout
        /// The connection closed or was reset while the request was on it.
        case connectionLost
        /// A compressed body inflated past ``ClientConfig/maxResponseBodyBytes`` (a gzip bomb).
        case decompressedTooLarge
        /// A body marked `Content-Encoding: gzip` that does not inflate.
        case invalidEncoding
        /// Anything else.
        case other
    }

    let kind: Kind
    /// The error as the transport threw it, whole.
    let underlying: any Error

    /// Whether any byte of the request can have reached the API server. Only a failure that
    /// happened before the request was written is safe to send again for any method.
    var reachedServer: Bool {
        switch kind {
        case .connectTimeout, .connectFailed, .tlsUntrusted, .tlsHostname, .tlsHandshake, .clientShutdown: false
        case .cancelled, .timeout, .connectionLost, .decompressedTooLarge, .invalidEncoding, .other: true
        }
    }

    init(kind: Kind, underlying: any Error) {
        self.kind = kind
        self.underlying = underlying
    }

    /// Classifies `error` (AsyncHTTPClient's, NIO's or NIOSSL's) by its type.
    init(_ error: any Error) {
        self.init(kind: Self.kind(of: error), underlying: error)
    }

    private static func kind(of error: any Error) -> Kind {
        switch error {
        case is CancellationError:
            return .cancelled
        case let error as HTTPClientError:
            switch error {
            case .cancelled:
                // AsyncHTTPClient also reports `cancelled` when a pooled connection is torn down
                // under a request; only a cancelled task is a real cancellation.
                return Task.isCancelled ? .cancelled : .connectionLost
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .timeout
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout: return .connectTimeout
            case .remoteConnectionClosed: return .connectionLost
            case .alreadyShutdown: return .clientShutdown
            default: return .other
            }
        case let error as NIOSSLExtraError:
            return error == .failedToValidateHostname || error == .serverHostnameImpossibleToMatch ? .tlsHostname : .tlsHandshake
        case let error as NIOSSLError:
            switch error {
            case .handshakeFailed(.sslError(let stack)):
                if stack.contains(where: BoringSSLCode.isCertificateVerifyFailed) { return .tlsUntrusted }
                if stack.contains(.eofDuringHandshake) { return .connectFailed }
                return .tlsHandshake
            case .handshakeFailed: return .tlsHandshake
            case .uncleanShutdown: return .connectionLost
            default: return .other
            }
        case let error as NIOHTTPDecompression.DecompressionError:
            return error == .limit ? .decompressedTooLarge : .invalidEncoding
        case is NIOHTTPDecompression.ExtraDecompressionError:
            return .invalidEncoding
        case is NIOConnectionError:
            return .connectFailed
        case let error as ChannelError:
            switch error {
            case .connectTimeout: return .connectTimeout
            case .ioOnClosedChannel, .eof, .alreadyClosed, .outputClosed, .inputClosed: return .connectionLost
            default: return .other
            }
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL: return .connectFailed
            case ETIMEDOUT: return .timeout
            default: return .connectionLost
            }
        default:
            return .other
        }
    }

    /// The error to throw: `CancellationError` for a cancellation, else a ``KubeError`` whose
    /// ``KubeError/underlying`` is the transport's error.
    func error(server: String) -> any Error {
        kind == .cancelled ? CancellationError() : kubeError(server: server)
    }

    func kubeError(server: String) -> KubeError {
        let cause = String(describing: underlying)
        switch kind {
        case .cancelled: return KubeError(.transport, "the request to \(server) was cancelled", underlying: underlying)
        case .clientShutdown: return KubeError(.clientShutdown, "the client has been shut down", underlying: underlying)
        case .connectTimeout: return KubeError(.timeout, "could not connect to \(server) in time", underlying: underlying)
        case .connectFailed: return KubeError(.transport, "could not connect to \(server): \(cause)", underlying: underlying)
        case .tlsUntrusted:
            return KubeError(
                .tlsVerification, "TLS verification failed: the certificate of \(server) is not signed by the configured certificate authority",
                underlying: underlying)
        case .tlsHostname:
            return KubeError(
                .tlsVerification, "TLS verification failed: the certificate of \(server) does not cover its host name or IP", underlying: underlying)
        case .tlsHandshake: return KubeError(.transport, "the TLS handshake with \(server) failed: \(cause)", underlying: underlying)
        case .timeout: return KubeError(.timeout, "the request to \(server) did not complete in time", underlying: underlying)
        case .connectionLost:
            return KubeError(.transport, "the connection to \(server) was closed before the response completed: \(cause)", underlying: underlying)
        case .decompressedTooLarge:
            return KubeError(
                .responseTooLarge, "the compressed response from \(server) inflates past the configured limit (maxResponseBodyBytes)",
                underlying: underlying)
        case .invalidEncoding:
            return KubeError(.decoding, "the response from \(server) is marked gzip but does not inflate: \(cause)", underlying: underlying)
        case .other: return KubeError(.transport, "the request to \(server) failed: \(cause)", underlying: underlying)
        }
    }
}

/// BoringSSL's packed error codes (`ERR_PACK(lib, reason)`), for the handshake failures the
/// client must tell apart. NIOSSL keeps the code of each ``BoringSSLInternalError`` private and
/// exposes it only as the leading number of its `description` (`"Error: <code> ..."`), so the
/// code is read from there and compared as a number, never the message text.
enum BoringSSLCode {
    /// `ERR_LIB_SSL` (16) with `SSL_R_CERTIFICATE_VERIFY_FAILED` (125).
    static let certificateVerifyFailed: UInt32 = 16 << 24 | 125

    static func packedCode(_ error: BoringSSLInternalError) -> UInt32? {
        let text = error.description
        guard text.hasPrefix("Error: ") else { return nil }
        return UInt32(text.dropFirst("Error: ".count).prefix(while: \.isNumber))
    }

    /// The reason code without BoringSSL's function bits: library and reason.
    static func isCertificateVerifyFailed(_ error: BoringSSLInternalError) -> Bool {
        guard let code = packedCode(error) else { return false }
        return code & 0xFF00_0FFF == certificateVerifyFailed
    }
}
