import Crypto
import Foundation
import SwiftASN1
import X509

/// The test cluster's PKI: one self-signed CA, a serving certificate for the API
/// server, and client certificates for users (CN = user name, O = groups), like a
/// kubeadm cluster's `ca.crt` / `apiserver.crt`.
struct CertificateAuthority: Sendable {
    let caCertificate: Certificate
    let caKey: P256.Signing.PrivateKey
    let servingCertificate: Certificate
    let servingKey: P256.Signing.PrivateKey

    var caCertificatePEM: String { (try? caCertificate.serializeAsPEM().pemString) ?? "" }
    var servingCertificatePEM: String { (try? servingCertificate.serializeAsPEM().pemString) ?? "" }
    var servingKeyPEM: String { servingKey.pemRepresentation }

    /// The DNS names every serving certificate carries (what a Pod dials).
    static let defaultDNSNames = [
        "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ]

    /// Creates (or, when `directory` already holds `ca.crt` and `ca.key`, reuses) the
    /// CA and issues a fresh serving certificate for the loopback addresses, the
    /// `kubernetes` Service names and `extraSANs` (IP literals become IP SANs).
    init(extraSANs: [String], directory: String?) throws {
        let now = Date()
        if let directory,
            let caPEM = try? String(contentsOfFile: directory + "/ca.crt", encoding: .utf8),
            let keyPEM = try? String(contentsOfFile: directory + "/ca.key", encoding: .utf8)
        {
            caCertificate = try Certificate(pemEncoded: caPEM)
            caKey = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        } else {
            let key = P256.Signing.PrivateKey()
            caKey = key
            let name = try DistinguishedName { CommonName("kube-test-server-ca") }
            caCertificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: now - 3600, notValidAfter: now + 10 * 365 * 86_400,
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
                },
                issuerPrivateKey: .init(key))
        }
        var names: [GeneralName] = Self.defaultDNSNames.map { .dnsName($0) }
        names.append(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])))
        names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(IPAddress.parse("::1") ?? []))))
        for san in extraSANs where !san.isEmpty {
            if let bytes = IPAddress.parse(san) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
            } else {
                names.append(.dnsName(san))
            }
        }
        servingKey = P256.Signing.PrivateKey()
        let caSubject = caCertificate.subject
        let caKeyForSigning = caKey
        servingCertificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(servingKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 365 * 86_400,
            issuer: caSubject, subject: try DistinguishedName { CommonName("kube-apiserver") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(caKeyForSigning))
        if let directory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Self.write(caCertificatePEM, to: directory + "/ca.crt", mode: 0o644)
            try Self.write(caKey.pemRepresentation, to: directory + "/ca.key", mode: 0o600)
            try Self.write(servingCertificatePEM, to: directory + "/apiserver.crt", mode: 0o644)
            try Self.write(servingKeyPEM, to: directory + "/apiserver.key", mode: 0o600)
        }
    }

    /// Issues a client certificate: `CN` is the user name, one `O` per group
    /// (how kube-apiserver's x509 authenticator reads it).
    func issueClientCertificate(user: String, groups: [String], validFor: TimeInterval = 365 * 86_400) throws -> (certificatePEM: String, keyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let subject = try DistinguishedName {
            for group in groups { OrganizationName(group) }
            CommonName(user)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + validFor,
            issuer: caCertificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.clientAuth])
            },
            issuerPrivateKey: .init(caKey))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    private static func write(_ text: String, to path: String, mode: Int) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}

/// The user a client certificate names: `CN` → user, every `O` → a group.
struct CertificateIdentity: Sendable, Hashable {
    var user: String
    var groups: [String]
    /// `X509SHA256=<hex>` of the certificate's DER: the `authentication.kubernetes.io/credential-id`
    /// extra kube-apiserver gives a user authenticated by a client certificate.
    var credentialID: String

    init?(derBytes: [UInt8]) {
        guard let certificate = try? Certificate(derEncoded: derBytes) else { return nil }
        var user: String?
        var groups: [String] = []
        for rdn in certificate.subject {
            for attribute in rdn {
                if attribute.type == .RDNAttributeType.commonName {
                    user = String(attribute.value)
                } else if attribute.type == .RDNAttributeType.organizationName, let group = String(attribute.value) {
                    groups.append(group)
                }
            }
        }
        guard let user, !user.isEmpty else { return nil }
        self.user = user
        self.groups = groups
        self.credentialID = "X509SHA256=" + SHA256.hash(data: derBytes).map { String(format: "%02x", $0) }.joined()
    }
}

/// IPv4 / IPv6 literal parsing for certificate SANs and address checks.
enum IPAddress {
    /// The network-order bytes of an IPv4 or IPv6 literal, or `nil` for a name.
    static func parse(_ text: String) -> [UInt8]? {
        var host = text
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if !host.contains(":") {
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var bytes: [UInt8] = []
            for part in parts {
                guard let value = UInt8(part), !part.isEmpty, part.count <= 3 else { return nil }
                bytes.append(value)
            }
            return bytes
        }
        var address = in6_addr()
        guard inet_pton(AF_INET6, host, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    /// `true` for 127.0.0.0/8 and ::1 (kube-apiserver refuses to publish these as endpoints).
    static func isLoopback(_ text: String) -> Bool {
        guard let bytes = parse(text) else { return text == "localhost" }
        if bytes.count == 4 { return bytes[0] == 127 }
        return bytes == Array(repeating: 0, count: 15) + [1]
    }

    static func isIPv6(_ text: String) -> Bool { (parse(text)?.count ?? 0) == 16 }
}
