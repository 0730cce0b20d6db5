import Foundation

extension Comparer {
    /// Compares two strings under the rules for values a second server cannot reproduce.
    mutating func compareString(_ expected: String, _ actual: String, path: String, key: String?, context: ValueContext = .init()) {
        if key == "resourceVersion", path.hasSuffix("/metadata/resourceVersion"), !expected.isEmpty {
            guard let recorded = UInt64(expected), let replayed = UInt64(actual) else {
                if UInt64(expected) != nil { report(path, "a resourceVersion (digits)", quote(actual)) }
                else if expected != actual { report(path, quote(expected), quote(actual)) }
                return
            }
            resourceVersionsAppend(recorded, replayed, listLike: context.listLike, path: path)
            return
        }
        if key == "continue", path.hasSuffix("/metadata/continue"), !expected.isEmpty {
            if actual.isEmpty { report(path, "a continue token", quote(actual)) }
            return
        }
        if let key, Self.untypedVolatileKeys.contains(key) { return }
        if expected == "<jwt>" {
            if !Self.isJWT(actual) { report(path, "a JSON Web Token", quote(String(actual.prefix(40)))) }
            return
        }
        if Self.isUUID(expected) {
            if Self.isUUID(actual) { bind(expected, actual, path: path) } else { report(path, "a UUID", quote(actual)) }
            return
        }
        if expected.wholeMatch(of: #/X509SHA256=[0-9a-f]{64}/#) != nil {
            // A credential-id names the client certificate, which is each server's own.
            if actual.wholeMatch(of: #/X509SHA256=[0-9a-f]{64}/#) == nil { report(path, "an X509SHA256 credential id", quote(actual)) }
            return
        }
        if key == "clusterIP", Self.isIP(expected) {
            if Self.isIP(actual) { bind(expected, actual, path: path) } else { report(path, "an IP address", quote(actual)) }
            return
        }
        if key == "storageVersionHash", requestPath.contains(namespace) {
            // Hashes the group name, which holds the exchange's namespace here.
            if Data(base64Encoded: actual)?.count != 8 { report(path, "a storage version hash (8 bytes, base64)", quote(actual)) }
            return
        }
        if key == "jwks_uri", let recorded = Self.urlPath(expected) {
            // Issuer discovery names the keys at the advertised address: any host:port, the same path.
            if Self.urlPath(actual) != recorded { report(path, "https://<host:port>\(recorded)", quote(actual)) }
            return
        }
        if key == "serverAddress", expected.contains(":") {
            // A server setting (the advertised address): any host:port.
            if !actual.contains(":") || Int(actual.split(separator: ":").last ?? "") == nil { report(path, "a host:port", quote(actual)) }
            return
        }
        if let shape = Self.timestampShape(expected) {
            if requestStrings.contains(expected), !serverTimes.contains(expected) {
                // The client chose this time: it comes back as sent.
                if expected != actual { report(path, quote(expected), quote(actual)) }
            } else {
                serverTimes.insert(expected)
                if Self.timestampShape(actual) != shape { report(path, "an RFC 3339 time like \(quote(expected))", quote(actual)) }
            }
            return
        }
        if Self.isRandomVolumeName(expected) {
            if Self.isRandomVolumeName(actual) { bind(expected, actual, path: path) } else { report(path, "kube-api-access-xxxxx", quote(actual)) }
            return
        }
        let substituted = substitute(expected)
        if substituted == actual { return }
        if normalize(substituted) == normalize(actual) { return }
        report(path, quote(substituted), quote(actual))
    }

    // MARK: - Shapes

    static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                if byte != UInt8(ascii: "-") { return false }
            } else if !((48...57).contains(byte) || (97...102).contains(byte)) {
                return false
            }
        }
        return true
    }

    static func isJWT(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
        }
    }

    /// The path of an `https://host:port/path` URL; `nil` for anything else.
    static func urlPath(_ url: String) -> String? {
        guard url.hasPrefix("https://") else { return nil }
        let rest = url.dropFirst("https://".count)
        guard let slash = rest.firstIndex(of: "/"), rest[..<slash].contains(":") else { return nil }
        return String(rest[slash...])
    }

    static func isIP(_ text: String) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) { return true }
        return text.contains(":") && text.utf8.allSatisfy { $0 == 58 || (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
    }

    /// `kube-api-access-` and five random characters (the ServiceAccount admission's volume).
    static func isRandomVolumeName(_ text: String) -> Bool {
        guard text.hasPrefix("kube-api-access-") else { return false }
        let suffix = text.dropFirst("kube-api-access-".count)
        return suffix.count == 5 && suffix.allSatisfy { $0.isLowercase || $0.isNumber }
    }

    /// The number of fractional digits of an RFC 3339 time (`nil` if `text` is not one).
    static func timestampShape(_ text: String) -> Int? {
        guard text.utf8.count >= 20, text.utf8.first.map({ (48...57).contains($0) }) ?? false,
            let match = text.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/#)
        else { return nil }
        return match.output.1.map { $0.count - 1 } ?? 0
    }

    /// The characters kube-apiserver's name generator uses (`utilrand.String`).
    static let generatedSuffixAlphabet = Set("bcdfghjklmnpqrstvwxz2456789")

    /// `text` with the values that differ between servers inside free text replaced by
    /// placeholders: UUIDs, timestamps, openapi hashes, generated-name suffixes, and
    /// resourceVersions quoted in kube's messages.
    func normalize(_ text: String) -> String {
        var result = text
        result = result.replacing(#/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/#, with: "<uid>")
        result = result.replacing(#/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/#, with: "<time>")
        result = result.replacing(#/hash=[0-9A-Fa-f]+/#, with: "hash=<hash>")
        result = result.replacing(#/"resourceVersion":"\d+"/#, with: "\"resourceVersion\":\"<rv>\"")
        // The same inside a quoted JSON document (a patched object shown in a message).
        result = result.replacing(#/\\"resourceVersion\\":\\"\d+\\"/#, with: #"\"resourceVersion\":\"<rv>\""#)
        result = result.replacing(#/too old resource version: (\d+) \(\d+\)/#) { "too old resource version: \($0.output.1) (<rv>)" }
        result = result.replacing(#/ResourceVersion in record \(\d+\)/#, with: "ResourceVersion in record (<rv>)")
        for prefix in generateNames where !prefix.isEmpty {
            result = Self.maskGeneratedSuffixes(result, prefix: prefix)
        }
        return result
    }

    static func maskGeneratedSuffixes(_ text: String, prefix: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: prefix) {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let suffix = rest.prefix(5)
            if suffix.count == 5, suffix.allSatisfy(generatedSuffixAlphabet.contains) {
                result += "<random>"
                rest = rest.dropFirst(5)
            }
        }
        return result + rest
    }
}
