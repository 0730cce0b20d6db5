import Logging

/// Produces the `Authorization` header for each attempt of a request, and forgets the
/// cached credential after a 401 so the next attempt uses a fresh one.
enum Authenticator: Sendable {
    case none
    case token(String)
    case file(TokenFile)
    case exec(ExecCredentialProvider)

    init(config: ClientConfig) throws(ConfigError) {
        switch config.credentials {
        case .none: self = .none
        case .token(let token): self = .token(token)
        case .tokenFile(let path): self = .file(try TokenFile(path: path, refreshInterval: config.credentialRefreshInterval))
        case .exec(let exec): self = .exec(ExecCredentialProvider(config: exec, server: config.server))
        }
    }

    /// The header value (`Bearer ...`), or `nil` when the client does not authenticate with a token.
    func authorization(logger: Logger) async throws(KubeError) -> String? {
        switch self {
        case .none: nil
        case .token(let token): "Bearer \(token)"
        case .file(let file): "Bearer \(file.token(logger: logger))"
        case .exec(let provider): "Bearer \(try await provider.token(logger: logger))"
        }
    }

    /// `true` when a 401 might be cured by reading the credential again.
    var canRefresh: Bool {
        switch self {
        case .none, .token: false
        case .file, .exec: true
        }
    }

    func invalidate() async {
        switch self {
        case .none, .token: break
        case .file(let file): file.invalidate()
        case .exec(let provider): await provider.invalidate()
        }
    }
}
