import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOSSL

/// Loads the configured CA bundle, and re-reads a CA file on the refresh schedule so a
/// rotated `ca.crt` is trusted without a restart. A new file that is missing or not PEM
/// keeps the old roots (and logs a warning).
final class TrustStore: Sendable {
    private struct State {
        var bytes: Data
        var checkedAt: ContinuousClock.Instant
    }

    private let path: String
    private let refreshInterval: Duration
    private let state: NIOLockedValueBox<State>

    /// `nil` when the source is not a file (inline PEM never changes).
    init?(source: ClientConfig.PEMSource?, refreshInterval: Duration) {
        guard case .file(let path)? = source else { return nil }
        self.path = path
        self.refreshInterval = refreshInterval
        let bytes = FileManager.default.contents(atPath: path) ?? Data()
        self.state = NIOLockedValueBox(State(bytes: bytes, checkedAt: .now))
    }

    /// New roots when the file changed since the last check and the new content is a valid
    /// bundle; `nil` when nothing changed, the check is not due, or the new content is bad.
    func reloadIfChanged(logger: Logger) -> [NIOSSLCertificate]? {
        state.withLockedValue { state in
            let now = ContinuousClock.now
            guard now - state.checkedAt >= refreshInterval else { return nil }
            state.checkedAt = now
            guard let bytes = FileManager.default.contents(atPath: path) else {
                logger.warning("CA file could not be re-read; keeping the current roots", metadata: ["file": "\(path)"])
                return nil
            }
            guard bytes != state.bytes else { return nil }
            do {
                let certificates = try Self.parse(bytes, origin: "CA file \(path)")
                state.bytes = bytes
                logger.info("CA file changed; trusting the new roots", metadata: ["file": "\(path)", "certificates": "\(certificates.count)"])
                return certificates
            } catch {
                logger.warning("CA file changed but is not a valid PEM bundle; keeping the current roots", metadata: ["file": "\(path)"])
                return nil
            }
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
