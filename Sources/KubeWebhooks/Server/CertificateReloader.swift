import Foundation
import Logging
import NIOSSL
import Synchronization

/// The serving certificate and key, read from files and re-read when they change, in the
/// manner of controller-runtime's `certwatcher`: each new TLS connection takes the
/// current pair, connections already open keep the one they were made with.
///
/// Files are compared by content, read through symlinks, so the kubelet's atomic
/// `..data` symlink swap of a Secret volume is seen like any rewrite. A pair that does
/// not parse (a half-written file, a wrong format) is not taken: the last good pair
/// stays in use and the failure is logged.
final class CertificateReloader: Sendable {
    let certificateFile: String
    let keyFile: String
    private let logger: Logger

    private struct Loaded {
        var certificate: [UInt8]
        var key: [UInt8]
        var context: NIOSSLContext
    }

    private let current: Mutex<Loaded?> = Mutex(nil)

    init(certificateFile: String, keyFile: String, logger: Logger) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.logger = logger
    }

    /// The context for the next handshake. Only `nil` before a successful ``reload()``.
    var context: NIOSSLContext? { current.withLock { $0?.context } }

    /// Reads both files; swaps in a new context when their content changed.
    /// Returns `true` when a new pair was taken.
    @discardableResult
    func reload() throws(WebhookServerError) -> Bool {
        let certificate: [UInt8]
        let key: [UInt8]
        do {
            certificate = try Array(Data(contentsOf: URL(fileURLWithPath: certificateFile)))
            key = try Array(Data(contentsOf: URL(fileURLWithPath: keyFile)))
        } catch {
            throw .certificateUnreadable(certificateFile: certificateFile, keyFile: keyFile, cause: "\(error)")
        }
        let unchanged = current.withLock { $0.map { $0.certificate == certificate && $0.key == key } ?? false }
        if unchanged { return false }
        let context: NIOSSLContext
        do {
            let chain = try NIOSSLCertificate.fromPEMBytes(certificate)
            guard !chain.isEmpty else { throw WebhookServerError.certificateInvalid(file: certificateFile, cause: "no certificate in the file") }
            let privateKey = try NIOSSLPrivateKey(bytes: key, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
            configuration.minimumTLSVersion = .tlsv12
            configuration.applicationProtocols = ["h2", "http/1.1"]
            context = try NIOSSLContext(configuration: configuration)
        } catch let error as WebhookServerError {
            throw error
        } catch {
            throw .certificateInvalid(file: certificateFile, cause: "\(error)")
        }
        current.withLock { $0 = Loaded(certificate: certificate, key: key, context: context) }
        return true
    }

    /// Re-reads the files every `interval` until cancelled; failures keep the last good pair.
    func watch(every interval: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            do {
                if try reload() {
                    logger.info("serving certificate reloaded", metadata: ["certificateFile": "\(certificateFile)"])
                }
            } catch {
                logger.error("serving certificate reload failed; keeping the previous one", metadata: ["error": "\(error)"])
            }
        }
    }
}
