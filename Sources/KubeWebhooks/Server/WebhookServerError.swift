/// Why a ``WebhookServer`` could not start or serve.
public struct WebhookServerError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case certificateUnreadable(certificateFile: String, keyFile: String, cause: String)
        case certificateInvalid(file: String, cause: String)
        case bindFailed(address: String, cause: String)
        case notRunning
    }

    private let code: Code

    static func certificateUnreadable(certificateFile: String, keyFile: String, cause: String) -> Self {
        Self(code: .certificateUnreadable(certificateFile: certificateFile, keyFile: keyFile, cause: cause))
    }
    static func certificateInvalid(file: String, cause: String) -> Self { Self(code: .certificateInvalid(file: file, cause: cause)) }
    static func bindFailed(address: String, cause: String) -> Self { Self(code: .bindFailed(address: address, cause: cause)) }
    static let notRunning = Self(code: .notRunning)

    /// The certificate or key file could not be read.
    public var isCertificateUnreadable: Bool { if case .certificateUnreadable = code { true } else { false } }
    /// The certificate or key did not parse as PEM.
    public var isCertificateInvalid: Bool { if case .certificateInvalid = code { true } else { false } }
    public var isBindFailed: Bool { if case .bindFailed = code { true } else { false } }
    /// The server stopped (or failed) before it listened.
    public var isNotRunning: Bool { code == .notRunning }

    public var description: String {
        switch code {
        case .certificateUnreadable(let certificateFile, let keyFile, let cause):
            "cannot read the serving certificate \(certificateFile) or key \(keyFile): \(cause)"
        case .certificateInvalid(let file, let cause):
            "the serving certificate \(file) or its key is not valid PEM: \(cause)"
        case .bindFailed(let address, let cause):
            "cannot listen on \(address): \(cause)"
        case .notRunning:
            "the webhook server is not running"
        }
    }
}
