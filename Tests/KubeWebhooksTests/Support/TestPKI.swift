import Crypto
import Foundation
import SwiftASN1
import X509

/// A CA and serving certificates for `localhost` / 127.0.0.1, like cert-manager would
/// issue for a webhook Service; each serving certificate gets a distinct common name so a
/// test can tell which one a handshake presented.
struct TestPKI {
    let caCertificate: Certificate
    let caKey: P256.Signing.PrivateKey

    init() throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("webhook-test-ca") }
        let now = Date()
        caKey = key
        caCertificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86_400, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
    }

    var caPEM: String { (try? caCertificate.serializeAsPEM().pemString) ?? "" }

    /// A serving certificate and key (PEM) with `commonName` as its subject, valid for
    /// localhost, 127.0.0.1 and `dnsNames` (by default the `webhook.default.svc` Service name).
    /// `validUntil`: the end of validity (a day from now by default; in the past for an expired certificate).
    func issueServing(
        commonName: String, dnsNames: [String] = ["webhook.default.svc"], validUntil: Date? = nil
    ) throws -> (certificate: String, key: String) {
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let end = validUntil ?? now + 86_400
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: min(now - 3600, end - 7200), notValidAfter: end, issuer: caCertificate.subject,
            subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(
                    [.dnsName("localhost")] + dnsNames.map { .dnsName($0) } + [.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: .init(caKey))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// The common name of a DER certificate.
    static func commonName(ofDER der: [UInt8]) -> String? {
        guard let certificate = try? Certificate(derEncoded: der) else { return nil }
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }
}

/// A certificate directory laid out the way the kubelet mounts a Secret volume:
/// `tls.crt -> ..data/tls.crt`, `..data -> ..<timestamp>`; ``rotate(to:)`` writes a new
/// timestamped directory and swaps `..data` atomically (rename over the old symlink).
struct SecretVolume {
    let directory: String
    private var generation = 0

    init(initial pair: (certificate: String, key: String)) throws {
        directory = NSTemporaryDirectory() + "webhook-certs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try writeGeneration(pair)
        try FileManager.default.createSymbolicLink(atPath: directory + "/tls.crt", withDestinationPath: "..data/tls.crt")
        try FileManager.default.createSymbolicLink(atPath: directory + "/tls.key", withDestinationPath: "..data/tls.key")
    }

    var certificateFile: String { directory + "/tls.crt" }
    var keyFile: String { directory + "/tls.key" }

    mutating func rotate(to pair: (certificate: String, key: String)) throws {
        generation += 1
        try writeGeneration(pair)
    }

    private func writeGeneration(_ pair: (certificate: String, key: String)) throws {
        let name = "..2026_12_01_\(generation)"
        try FileManager.default.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: true)
        try Data(pair.certificate.utf8).write(to: URL(fileURLWithPath: directory + "/\(name)/tls.crt"))
        try Data(pair.key.utf8).write(to: URL(fileURLWithPath: directory + "/\(name)/tls.key"))
        let temporary = directory + "/..data_tmp"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: name)
        guard rename(temporary, directory + "/..data") == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
