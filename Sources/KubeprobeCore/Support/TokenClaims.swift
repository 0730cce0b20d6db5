import Foundation

/// The claims of a service account token, decoded WITHOUT verifying the signature
/// (only the API server can verify it; kubeprobe reads them to explain what it holds).
///
/// Two shapes exist: a projected (bound) token with `iss`, `aud`, `exp`, `iat` and the
/// `kubernetes.io` claim naming the pod; and a legacy Secret-based token
/// (`kubernetes.io/serviceaccount/...` claims, no `exp`) that never expires.
public struct TokenClaims: Sendable, Hashable, Codable {
    public var subject: String?
    public var issuer: String?
    public var audiences: [String]
    public var issuedAt: Date?
    public var notBefore: Date?
    public var expiresAt: Date?
    public var namespace: String?
    public var serviceAccount: String?
    public var serviceAccountUID: String?
    /// The pod the token is bound to (projected tokens only).
    public var podName: String?
    public var podUID: String?
    public var nodeName: String?
    /// `true` for a legacy Secret-based token (`kubernetes.io/serviceaccount/secret.name`, no expiry).
    public var isLegacySecretToken: Bool
    /// The Secret holding a legacy token.
    public var secretName: String?

    /// Time left until `exp` at `now`; `nil` when the token never expires.
    public func timeLeft(now: Date = Date()) -> TimeInterval? { expiresAt.map { $0.timeIntervalSince(now) } }

    /// Decodes the payload of a JWT (`header.payload.signature`) without verifying it.
    public init(jwt: String) throws(ProbeError) {
        let parts = jwt.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw ProbeError(.invalidToken, "the token is not a JWT (expected 3 dot-separated parts, found \(parts.count))")
        }
        guard let payload = Self.base64URLDecode(String(parts[1])) else {
            throw ProbeError(.invalidToken, "the token's payload is not base64url")
        }
        let object: [String: Any]
        do {
            guard let decoded = try JSONSerialization.jsonObject(with: payload) as? [String: Any] else {
                throw ProbeError(.invalidToken, "the token's payload is not a JSON object")
            }
            object = decoded
        } catch let error as ProbeError {
            throw error
        } catch {
            throw ProbeError(.invalidToken, "the token's payload is not JSON")
        }
        self.init(payload: object)
    }

    init(payload object: [String: Any]) {
        func date(_ key: String) -> Date? {
            (object[key] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue) }
        }
        subject = object["sub"] as? String
        issuer = object["iss"] as? String
        if let list = object["aud"] as? [String] {
            audiences = list
        } else if let single = object["aud"] as? String {
            audiences = [single]
        } else {
            audiences = []
        }
        issuedAt = date("iat")
        notBefore = date("nbf")
        expiresAt = date("exp")
        let kube = object["kubernetes.io"] as? [String: Any]
        namespace = kube?["namespace"] as? String ?? object["kubernetes.io/serviceaccount/namespace"] as? String
        let account = kube?["serviceaccount"] as? [String: Any]
        serviceAccount = account?["name"] as? String ?? object["kubernetes.io/serviceaccount/service-account.name"] as? String
        serviceAccountUID = account?["uid"] as? String ?? object["kubernetes.io/serviceaccount/service-account.uid"] as? String
        let pod = kube?["pod"] as? [String: Any]
        podName = pod?["name"] as? String
        podUID = pod?["uid"] as? String
        nodeName = (kube?["node"] as? [String: Any])?["name"] as? String
        secretName = object["kubernetes.io/serviceaccount/secret.name"] as? String
        isLegacySecretToken = secretName != nil || (expiresAt == nil && kube == nil && subject?.hasPrefix("system:serviceaccount:") == true)
        if serviceAccount == nil || namespace == nil, let subject, subject.hasPrefix("system:serviceaccount:") {
            let rest = subject.dropFirst("system:serviceaccount:".count).split(separator: ":", maxSplits: 1).map(String.init)
            if rest.count == 2 {
                namespace = namespace ?? rest[0]
                serviceAccount = serviceAccount ?? rest[1]
            }
        }
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}

/// Human text for durations: `59m 12s`, `3h 5m`, `2d 4h`.
func formatInterval(_ seconds: TimeInterval) -> String {
    let total = Int(seconds.rounded())
    let sign = total < 0 ? "-" : ""
    let value = abs(total)
    if value < 60 { return "\(sign)\(value)s" }
    if value < 3600 { return "\(sign)\(value / 60)m \(value % 60)s" }
    if value < 86400 { return "\(sign)\(value / 3600)h \(value % 3600 / 60)m" }
    return "\(sign)\(value / 86400)d \(value % 86400 / 3600)h"
}

/// kubectl's AGE column: `5s`, `3m`, `2h`, `4d`, `1y`.
func formatAge(_ seconds: TimeInterval) -> String {
    let value = max(0, Int(seconds))
    if value < 120 { return "\(value)s" }
    if value < 3600 * 3 { return "\(value / 60)m" }
    if value < 86400 * 2 { return "\(value / 3600)h" }
    if value < 86400 * 365 * 2 { return "\(value / 86400)d" }
    return "\(value / (86400 * 365))y"
}

extension Date {
    var iso8601: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: self)
    }
}
