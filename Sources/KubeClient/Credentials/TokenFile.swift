import Foundation
import Logging
import NIOConcurrencyHelpers

/// A bearer token kept in a file that someone else rotates (the kubelet's projected
/// service account token, a kubeconfig `tokenFile`).
///
/// The file is re-read when the cached copy is older than the refresh interval (client-go's
/// `cachingTokenSource` uses one minute: see ``ClientConfig/credentialRefreshInterval``), or at
/// once after ``invalidate()`` (a 401). Reading goes through the path each time, so the
/// kubelet's `..data` symlink swap (AtomicWriter) is seen as soon as the file is re-read.
/// An empty, missing or unreadable file keeps the last good token and logs a warning.
final class TokenFile: Sendable {
    private struct State {
        var token: String
        var readAt: ContinuousClock.Instant
        var forceRead: Bool
    }

    let path: String
    private let refreshInterval: Duration
    private let state: NIOLockedValueBox<State>

    init(path: String, refreshInterval: Duration) throws(ConfigError) {
        self.path = path
        self.refreshInterval = refreshInterval
        let token = try Self.readToken(at: path)
        self.state = NIOLockedValueBox(State(token: token, readAt: .now, forceRead: false))
    }

    /// The current token, re-read from the file when due.
    func token(logger: Logger) -> String {
        state.withLockedValue { state in
            let now = ContinuousClock.now
            guard state.forceRead || now - state.readAt >= refreshInterval else { return state.token }
            state.forceRead = false
            state.readAt = now
            do {
                let fresh = try Self.readToken(at: path)
                if fresh != state.token { logger.debug("re-read a new token", metadata: ["file": "\(path)"]) }
                state.token = fresh
            } catch {
                logger.warning(
                    "token file could not be re-read; keeping the last good token",
                    metadata: ["file": "\(path)", "error": "\((error as? ConfigError)?.code.description ?? "unreadable")"])
            }
            return state.token
        }
    }

    /// The token as last read, without re-reading (for the expiry gauge).
    var currentToken: String { state.withLockedValue { $0.token } }

    /// Forces a re-read on the next ``token(logger:)`` (after a 401).
    func invalidate() {
        state.withLockedValue { $0.forceRead = true }
    }

    static func readToken(at path: String) throws(ConfigError) -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigError(.tokenFileMissing, "token file \(path) does not exist")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(.tokenFileMissing, "token file \(path) cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(.tokenInvalid, "token file \(path) does not hold text")
        }
        return try validate(text, source: "token file \(path)")
    }

    /// Trims whitespace and rejects what cannot be sent as a bearer token. Never echoes the token.
    static func validate(_ text: String, source: String) throws(ConfigError) -> String {
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw ConfigError(.tokenFileEmpty, "\(source) is empty") }
        guard token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw ConfigError(.tokenInvalid, "\(source) holds characters a bearer token cannot contain (binary data or spaces)")
        }
        return token
    }
}
