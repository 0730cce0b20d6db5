import Foundation

/// The string formats kube-apiserver checks in custom resources (kube-openapi's
/// strfmt registry as apiextensions-apiserver configures it). Formats it does not know
/// (`int32`, `int64`, `password`, anything else) pass, as in kube.
enum StringFormats {
    static func isValid(_ text: String, format: String) -> Bool {
        switch format {
        case "date-time", "datetime": return isDateTime(text)
        case "date": return full(text, #"\d{4}-\d{2}-\d{2}"#)
        case "email": return full(text, #"[^@\s]+@[^@\s]+\.[^@\s]+"#)
        case "uuid": return full(text, #"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"#)
        case "ipv4": return isIPv4(text)
        case "ipv6": return text.contains(":") && full(text, #"[0-9a-fA-F:.]+"#)
        case "cidr":
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let bits = Int(parts[1]) else { return false }
            let address = String(parts[0])
            return isIPv4(address) ? (0...32).contains(bits) : address.contains(":") && (0...128).contains(bits)
        case "hostname":
            return text.count <= 255 && full(text, #"[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*"#)
        case "byte": return Data(base64Encoded: text) != nil
        case "duration": return full(text, #"([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w))+"#)
        case "uri": return URL(string: text)?.scheme != nil
        case "mac": return full(text, #"([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}"#)
        default: return true
        }
    }

    private static func full(_ text: String, _ pattern: String) -> Bool {
        StructuralSchema.matches(text, pattern: "^(?:" + pattern + ")$")
    }

    private static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            guard let number = Int(part), part.count <= 3 else { return false }
            return (0...255).contains(number) && (part == "0" || !part.hasPrefix("0"))
        }
    }

    /// RFC 3339 date-time (`2026-12-01T21:07:49Z`, fractional seconds and offsets allowed).
    static func isDateTime(_ text: String) -> Bool {
        full(text, #"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"#)
    }
}
