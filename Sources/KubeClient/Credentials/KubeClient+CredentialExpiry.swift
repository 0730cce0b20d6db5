import Foundation
import Metrics

extension KubeClient {
    /// When the bearer token in use expires: the `exp` claim of a JWT (a projected service-account
    /// token, a bound token), `nil` for tokens that are not JWTs, carry no `exp`, or for clients that
    /// authenticate otherwise. Read from the token as last loaded; nothing is verified or logged.
    public var tokenExpiry: Date? {
        switch authenticator {
        case .token(let token): Self.jwtExpiry(token)
        case .file(let file): Self.jwtExpiry(file.currentToken)
        case .none, .exec: nil
        }
    }

    /// When the first certificate of the configured CA bundle expires (the file is read again, so
    /// a rotated `ca.crt` shows); `nil` with no configured CA or one that cannot be read.
    public var certificateAuthorityExpiry: Date? {
        guard let source = config.tls.certificateAuthority,
            let certificates = try? TrustStore.loadCertificates(from: source), !certificates.isEmpty
        else { return nil }
        let earliest = certificates.map(\.notValidAfter).min()!
        return Date(timeIntervalSince1970: TimeInterval(earliest))
    }

    /// The `exp` claim of a JWT's payload (unverified: this only says when the server will stop accepting it).
    static func jwtExpiry(_ token: String) -> Date? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
            let payload = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let exp = payload["exp"] as? NSNumber
        else { return nil }
        return Date(timeIntervalSince1970: exp.doubleValue)
    }

    /// The time-to-expiry gauges (`kube_client_token_expiry_seconds`, `kube_client_ca_expiry_seconds`,
    /// labelled by server), refreshed whenever metrics are scraped: alert on them before a rotation
    /// problem bites. A negative value means already expired.
    func registerExpiryGauges() {
        let dimensions = [("server", config.server)]
        ScrapeHooks.add { [weak self] in
            guard let self else { return false }
            let now = Date()
            if let expiry = self.tokenExpiry {
                Gauge(label: "kube_client_token_expiry_seconds", dimensions: dimensions).record(expiry.timeIntervalSince(now))
            }
            if let expiry = self.certificateAuthorityExpiry {
                Gauge(label: "kube_client_ca_expiry_seconds", dimensions: dimensions).record(expiry.timeIntervalSince(now))
            }
            return true
        }
    }
}
