import Foundation

/// A TLS client certificate and its private key (PEM), issued by the server's CA.
public struct ClientCertificate: Sendable, Hashable {
    /// The certificate (CN = user, O = each group).
    public let certificatePEM: String
    /// The P-256 private key of the certificate.
    public let privateKeyPEM: String
}

extension KubeTestServer {
    /// Issues a client certificate for `user` in `groups`, signed by the server's CA, as
    /// kube-apiserver's x509 authenticator reads it: the common name is the user, each
    /// organization a group (`system:masters` makes it an admin). Valid for a year.
    public func issueClientCertificate(user: String, groups: [String] = []) throws -> ClientCertificate {
        let issued = try pki.issueClientCertificate(user: user, groups: groups)
        return ClientCertificate(certificatePEM: issued.certificatePEM, privateKeyPEM: issued.keyPEM)
    }
}
