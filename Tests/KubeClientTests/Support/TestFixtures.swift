import Crypto
import Foundation
import SwiftASN1
import X509

/// Temporary directories and PEM material for config tests.
enum Fixtures {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kubeclient-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A self-signed CA certificate in PEM.
    static func caPEM(name: String = "test-ca") throws -> String {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(3600), issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            }, issuerPrivateKey: .init(key))
        return try certificate.serializeAsPEM().pemString
    }

    /// A CA and a serving certificate it signs for 127.0.0.1 and `localhost`, all PEM.
    static func servingPKI(caName: String = "test-ca", ipSAN: Bool = true) throws -> (caPEM: String, certificatePEM: String, keyPEM: String) {
        let caKey = P256.Signing.PrivateKey()
        let caSubject = try DistinguishedName { CommonName(caName) }
        let now = Date()
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(3600), issuer: caSubject, subject: caSubject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            }, issuerPrivateKey: .init(caKey))
        let leafKey = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(3600), issuer: caSubject,
            subject: try DistinguishedName { CommonName("kube-apiserver") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(
                    (ipSAN ? [.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))] : []) + [.dnsName("localhost"), .dnsName("kubernetes")])
            }, issuerPrivateKey: .init(caKey))
        return (try ca.serializeAsPEM().pemString, try leaf.serializeAsPEM().pemString, leafKey.pemRepresentation)
    }

    static func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
    }

    /// The kubelet's projected-volume layout (AtomicWriter): `..<timestamp>/` holds the files,
    /// `..data` links to it, and `token`, `ca.crt`, `namespace` link through `..data`.
    struct PodFilesystem {
        let directory: URL
        private var generation = 0

        init(token: String?, caPEM: String?, namespace: String?) throws {
            directory = try Fixtures.temporaryDirectory()
            try publish(token: token, caPEM: caPEM, namespace: namespace)
            for name in ["token", "ca.crt", "namespace"] {
                try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent(name).path, withDestinationPath: "..data/\(name)")
            }
        }

        /// Writes a new timestamped directory and swaps `..data` to it atomically (rename of a new link).
        mutating func publish(token: String?, caPEM: String?, namespace: String?) throws {
            generation += 1
            let name = "..2025_01_01_00_00_0\(generation).\(UUID().uuidString.prefix(6))"
            let payload = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: payload, withIntermediateDirectories: true)
            if let token { try Fixtures.write(token, to: payload.appendingPathComponent("token")) }
            if let caPEM { try Fixtures.write(caPEM, to: payload.appendingPathComponent("ca.crt")) }
            if let namespace { try Fixtures.write(namespace, to: payload.appendingPathComponent("namespace")) }
            let temporary = directory.appendingPathComponent("..data_tmp")
            try? FileManager.default.removeItem(at: temporary)
            try FileManager.default.createSymbolicLink(atPath: temporary.path, withDestinationPath: name)
            guard rename(temporary.path, directory.appendingPathComponent("..data").path) == 0 else {
                throw CocoaError(.fileWriteUnknown)
            }
        }
    }
}
