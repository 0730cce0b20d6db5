import Foundation
import SwiftASN1
import X509

/// What kubeprobe reports about a certificate: subject, issuer, validity and the
/// subject alternative names (DNS names and IP addresses).
public struct CertificateInfo: Sendable, Hashable, Codable {
    public var subject: String
    public var issuer: String
    public var notValidBefore: Date
    public var notValidAfter: Date
    public var dnsNames: [String]
    public var ipAddresses: [String]
    public var isCA: Bool

    init(subject: String, issuer: String, notValidBefore: Date, notValidAfter: Date, dnsNames: [String], ipAddresses: [String], isCA: Bool) {
        self.subject = subject
        self.issuer = issuer
        self.notValidBefore = notValidBefore
        self.notValidAfter = notValidAfter
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.isCA = isCA
    }

    init(_ certificate: Certificate) {
        subject = certificate.subject.description
        issuer = certificate.issuer.description
        notValidBefore = certificate.notValidBefore
        notValidAfter = certificate.notValidAfter
        var dns: [String] = []
        var ips: [String] = []
        if let names = try? certificate.extensions.subjectAlternativeNames {
            for name in names {
                switch name {
                case .dnsName(let value): dns.append(value)
                case .ipAddress(let octets): ips.append(Self.formatIP(Array(octets.bytes)))
                default: break
                }
            }
        }
        dnsNames = dns
        ipAddresses = ips
        if let constraints = try? certificate.extensions.basicConstraints, case .isCertificateAuthority = constraints {
            isCA = true
        } else {
            isCA = false
        }
    }

    /// Every certificate of a PEM bundle (`ca.crt` may hold several).
    public static func parsePEMBundle(_ pem: String, source: String) throws(ProbeError) -> [CertificateInfo] {
        let documents: [PEMDocument]
        do { documents = try PEMDocument.parseMultiple(pemString: pem) } catch {
            throw ProbeError(.invalidCertificate, "\(source) is not PEM (no readable BEGIN CERTIFICATE block)")
        }
        var result: [CertificateInfo] = []
        for document in documents where document.discriminator == "CERTIFICATE" {
            do { result.append(CertificateInfo(try Certificate(derEncoded: document.derBytes))) } catch {
                throw ProbeError(.invalidCertificate, "\(source) holds a certificate that cannot be parsed: \(error)")
            }
        }
        guard !result.isEmpty else { throw ProbeError(.invalidCertificate, "\(source) holds no certificate") }
        return result
    }

    /// One DER certificate (a server's leaf).
    public static func parseDER(_ bytes: [UInt8]) throws(ProbeError) -> CertificateInfo {
        do { return CertificateInfo(try Certificate(derEncoded: bytes)) } catch {
            throw ProbeError(.invalidCertificate, "the server's certificate cannot be parsed: \(error)")
        }
    }

    /// `true` when the certificate names `host`: an IP literal must be an IP SAN (Go and
    /// OpenSSL never match IPs against DNS names or the CN); a name must match a DNS SAN,
    /// with a `*.` wildcard covering exactly one label.
    public func covers(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let normalized = Self.normalizeIP(bare) { return ipAddresses.contains { Self.normalizeIP($0) == normalized } }
        let name = bare.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return dnsNames.contains { pattern in
            let pattern = pattern.lowercased()
            if pattern == name { return true }
            if pattern.hasPrefix("*.") {
                let suffix = pattern.dropFirst(1)
                guard name.hasSuffix(suffix) else { return false }
                let label = name.dropLast(suffix.count)
                return !label.isEmpty && !label.contains(".")
            }
            return false
        }
    }

    static func formatIP(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        if bytes.count == 16 {
            var storage = in6_addr()
            withUnsafeMutableBytes(of: &storage) { raw in for (index, byte) in bytes.enumerated() { raw[index] = byte } }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count)) != nil else { return bytes.map { String($0, radix: 16) }.joined(separator: ":") }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return bytes.map { String($0, radix: 16) }.joined(separator: ":")
    }

    /// The canonical text of an IP literal, `nil` when `text` is not one.
    static func normalizeIP(_ text: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { formatIP(Array($0)) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { formatIP(Array($0)) } }
        return nil
    }
}
