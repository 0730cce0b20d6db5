import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOSSL

/// Loads the configured CA bundle, and re-reads a CA file on the refresh schedule so a
/// rotated `ca.crt` is trusted without a restart.
///
/// A changed file is offered as a ``Candidate``; it counts as applied only once the
/// ``Transport`` has built a client with it (``applied(_:)``). A file that is missing or not
/// PEM, or whose client cannot be built, keeps the old roots (with a warning) and is tried
/// again on the next refresh period, so a CA file that is broken for a while and then fixed
/// is picked up.
final class TrustStore: Sendable {
    /// New roots read from the file, not yet in use.
    struct Candidate: Sendable {
        let bytes: Data
        let certificates: [NIOSSLCertificate]
    }

    private struct State {
        /// The content the current client was built from.
        var applied: Data
        var checkedAt: ContinuousClock.Instant
        /// The last content that could not be used, so its warning is logged once.
        var rejected: Data?
    }

    private let path: String
    let refreshInterval: Duration
    private let state: NIOLockedValueBox<State>

    /// `nil` when the source is not a file (inline PEM never changes).
    init?(source: ClientConfig.PEMSource?, refreshInterval: Duration) {
        guard case .file(let path)? = source else { return nil }
        self.path = path
        self.refreshInterval = refreshInterval
        let bytes = FileManager.default.contents(atPath: path) ?? Data()
        self.state = NIOLockedValueBox(State(applied: bytes, checkedAt: .now))
    }

    /// The file's roots when a check is due and its content differs from the applied one and
    /// is a valid bundle; `nil` otherwise. At most one caller per period gets a candidate.
    func changedRoots(logger: Logger) -> Candidate? {
        state.withLockedValue { state in
            let now = ContinuousClock.now
            guard now - state.checkedAt >= refreshInterval else { return nil }
            state.checkedAt = now
            guard let bytes = FileManager.default.contents(atPath: path) else {
                logger.warning("CA file could not be re-read; keeping the current roots", metadata: ["file": "\(path)"])
                return nil
            }
            guard bytes != state.applied else { return nil }
            do {
                return Candidate(bytes: bytes, certificates: try Self.parse(bytes, origin: "CA file \(path)"))
            } catch {
                Self.reject(bytes, &state, logger: logger, "CA file changed but is not a valid PEM bundle; keeping the current roots", path: path)
                return nil
            }
        }
    }

    /// Records that a client now uses `candidate`.
    func applied(_ candidate: Candidate, logger: Logger) {
        state.withLockedValue { state in
            state.applied = candidate.bytes
            state.rejected = nil
        }
        logger.info("CA file changed; trusting the new roots", metadata: ["file": "\(path)", "certificates": "\(candidate.certificates.count)"])
    }

    /// Records that no client could be built from `candidate`: it is tried again next period.
    func failed(_ candidate: Candidate, error: any Error, logger: Logger) {
        state.withLockedValue { state in
            Self.reject(
                candidate.bytes, &state, logger: logger,
                "could not build a TLS configuration from the new CA file (\(error)); keeping the current roots and trying again in \(refreshInterval)",
                path: path)
        }
    }

    private static func reject(_ bytes: Data, _ state: inout State, logger: Logger, _ message: Logger.Message, path: String) {
        if state.rejected == bytes {
            logger.debug(message, metadata: ["file": "\(path)"])
        } else {
            state.rejected = bytes
            logger.warning(message, metadata: ["file": "\(path)"])
        }
    }

    static func loadCertificates(from source: ClientConfig.PEMSource) throws(ConfigError) -> [NIOSSLCertificate] {
        switch source {
        case .pem(let text):
            return try parse(Data(text.utf8), origin: "certificate-authority-data")
        case .file(let path):
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw ConfigError(.certificateAuthorityMissing, "CA file \(path) does not exist or cannot be read")
            }
            return try parse(bytes, origin: "CA file \(path)")
        }
    }

    static func parse(_ bytes: Data, origin: String) throws(ConfigError) -> [NIOSSLCertificate] {
        guard String(decoding: bytes, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            throw ConfigError(.certificateAuthorityNotPEM, "\(origin) is not a PEM certificate bundle")
        }
        do {
            let certificates = try NIOSSLCertificate.fromPEMBytes(Array(bytes))
            guard !certificates.isEmpty else { throw ConfigError(.certificateAuthorityNotPEM, "\(origin) holds no certificate") }
            return certificates
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(.certificateAuthorityNotPEM, "\(origin) is not a valid PEM certificate bundle")
        }
    }

    static func pemBytes(_ source: ClientConfig.PEMSource, what: String) throws(ConfigError) -> [UInt8] {
        switch source {
        case .pem(let text): return Array(text.utf8)
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(.fileNotFound, "\(what) \(path) does not exist or cannot be read")
            }
            return Array(data)
        }
    }
}
