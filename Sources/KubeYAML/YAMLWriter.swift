import Foundation
import KubeCore

/// JSON values as YAML the way kube-apiserver writes `application/yaml` (sigs.k8s.io/yaml
/// over go-yaml v2): block style, keys in go-yaml's natural order, sequences not indented
/// under their key, strings quoted only where they would read as another type or are not
/// plain-safe, multi-line strings as literal blocks, long lines folded at 80 columns.
/// The one YAML writer: KubeTestServer's `application/yaml` answers and the CRD manifests of
/// KubeCustomResources (which put `apiVersion`, `kind`, `metadata`, `spec`, `status` first, as kubectl does).
package enum YAMLWriter {
    /// The order of a mapping's keys.
    package enum KeyOrder: Sendable {
        /// go-yaml v2's natural order, as kube-apiserver writes.
        case goYAML
        /// `apiVersion`, `kind`, `metadata`, `spec`, `status` first (at every level), then go-yaml's order:
        /// for manifests a person reads.
        case manifest
    }

    /// One YAML document of `value`, ending with a newline.
    package static func string(_ value: JSONValue, keyOrder: KeyOrder = .goYAML) -> String {
        var out = ""
        switch value {
        case .object(let members) where !members.isEmpty:
            writeMapping(members, indent: 0, order: keyOrder, into: &out)
        case .array(let items) where !items.isEmpty:
            writeSequence(items, indent: 0, order: keyOrder, into: &out)
        default:
            out += scalar(value, indent: 0, column: 0) + "\n"
        }
        return out
    }

    static let manifestLeading = ["apiVersion", "kind", "metadata", "spec", "status"]

    static func orderedKeys(_ members: [String: JSONValue], _ order: KeyOrder) -> [String] {
        switch order {
        case .goYAML:
            return members.keys.sorted(by: naturalLess)
        case .manifest:
            return manifestLeading.filter { members[$0] != nil }
                + members.keys.filter { !manifestLeading.contains($0) }.sorted(by: naturalLess)
        }
    }

    private static func writeMapping(
        _ members: [String: JSONValue], indent: Int, order: KeyOrder, into out: inout String, firstInline: Bool = false
    ) {
        let pad = String(repeating: " ", count: indent)
        for (offset, key) in orderedKeys(members, order).enumerated() {
            let value = members[key]!
            let prefix = (offset == 0 && firstInline ? "" : pad) + quotedString(key, indent: indent, column: indent) + ":"
            out += prefix
            write(value, after: prefix, indent: indent, order: order, into: &out)
        }
    }

    private static func writeSequence(
        _ items: [JSONValue], indent: Int, order: KeyOrder, into out: inout String, firstInline: Bool = false
    ) {
        let pad = String(repeating: " ", count: indent)
        for (offset, item) in items.enumerated() {
            out += (offset == 0 && firstInline ? "" : pad) + "-"
            switch item {
            case .object(let members) where !members.isEmpty:
                out += " "
                writeMapping(members, indent: indent + 2, order: order, into: &out, firstInline: true)
            case .array(let nested) where !nested.isEmpty:
                out += " "
                writeSequence(nested, indent: indent + 2, order: order, into: &out, firstInline: true)
            default:
                out += " " + scalar(item, indent: indent + 2, column: indent + 2) + "\n"
            }
        }
    }

    /// A mapping value after `key:`.
    private static func write(_ value: JSONValue, after prefix: String, indent: Int, order: KeyOrder, into out: inout String) {
        switch value {
        case .object(let members) where !members.isEmpty:
            out += "\n"
            writeMapping(members, indent: indent + 2, order: order, into: &out)
        case .array(let items) where !items.isEmpty:
            out += "\n"
            writeSequence(items, indent: indent, order: order, into: &out)
        default:
            out += " " + scalar(value, indent: indent + 2, column: prefix.count + 1) + "\n"
        }
    }

    private static func scalar(_ value: JSONValue, indent: Int, column: Int) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number):
            if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
            return "\(number)"
        case .string(let text): return quotedString(text, indent: indent, column: column)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    // MARK: - Strings

    private static func quotedString(_ text: String, indent: Int, column: Int) -> String {
        if text.contains("\n") { return literal(text, indent: indent) }
        if readsAsOtherType(text) { return doubleQuoted(text) }
        if plainAllowed(text) { return folded(text, indent: indent, column: column) }
        if text.unicodeScalars.allSatisfy(isPrintable) { return "'" + folded(text.replacingOccurrences(of: "'", with: "''"), indent: indent, column: column + 1) + "'" }
        return doubleQuoted(text)
    }

    /// `|`, `|-` or `|+` by the trailing newlines, content indented one level deeper.
    private static func literal(_ text: String, indent: Int) -> String {
        var chomp = "-"
        if text.hasSuffix("\n\n") { chomp = "+" } else if text.hasSuffix("\n") { chomp = "" }
        var body = text
        if chomp != "+" { while body.hasSuffix("\n") { body.removeLast() } }
        let pad = String(repeating: " ", count: indent)
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }
        return "|" + chomp + "\n" + lines.joined(separator: "\n")
    }

    /// go-yaml v2 breaks a plain or single-quoted scalar at a single space once the line is past 80 columns.
    private static func folded(_ text: String, indent: Int, column: Int) -> String {
        var out = ""
        var column = column
        let chars = Array(text)
        for index in chars.indices {
            let char = chars[index]
            if char == " ", column > 80, index > 0, chars[index - 1] != " ", index + 1 < chars.count, chars[index + 1] != " " {
                out += "\n" + String(repeating: " ", count: indent)
                column = indent
                continue
            }
            out.append(char)
            column += 1
        }
        return out
    }

    private static func doubleQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            default:
                if isPrintable(scalar) { out.unicodeScalars.append(scalar) } else { out += String(format: "\\u%04X", scalar.value) }
            }
        }
        return out + "\""
    }

    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value == 0x09 || (scalar.value >= 0x20 && scalar.value != 0x7F && !(0x80...0x9F).contains(scalar.value)) && scalar.value != 0xFEFF
    }

    /// What go-yaml v2 would resolve to a non-string (null, bool, number, timestamp): quoted.
    static func readsAsOtherType(_ text: String) -> Bool {
        if text.isEmpty { return true }
        let lowered = text.lowercased()
        let special: Set<String> = [
            "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf", ".nan",
        ]
        if special.contains(lowered) && (text == lowered || text == text.uppercased() || text == lowered.prefix(1).uppercased() + lowered.dropFirst()) {
            return true
        }
        let plain = text.replacingOccurrences(of: "_", with: "")
        if Int64(plain) != nil || Double(plain) != nil && plain.allSatisfy({ "0123456789+-.eE".contains($0) }) { return true }
        if plain.hasPrefix("0x") || plain.hasPrefix("0o") || plain.hasPrefix("0b"), Int64(plain.dropFirst(2), radix: 16) != nil { return true }
        if looksLikeTimestamp(text) { return true }
        return isBase60(text)
    }

    private static func looksLikeTimestamp(_ text: String) -> Bool {
        let chars = Array(text.utf8)
        guard chars.count >= 10, chars[4] == UInt8(ascii: "-"),
            chars[0..<4].allSatisfy({ $0 >= 48 && $0 <= 57 })
        else { return false }
        return RFC3339.parse(text) != nil || (chars.count == 10 && chars[7] == UInt8(ascii: "-"))
    }

    private static func isBase60(_ text: String) -> Bool {
        // go-yaml v2 reads 1:20 and 190:20:30 as sexagesimal numbers.
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let first = parts.first, !first.isEmpty, first.allSatisfy(\.isNumber) else { return false }
        return parts.dropFirst().allSatisfy { $0.count == 2 && $0.allSatisfy(\.isNumber) }
    }

    /// go-yaml's block-context analysis: no indicators, no leading/trailing space, printable.
    private static func plainAllowed(_ text: String) -> Bool {
        let chars = Array(text.unicodeScalars)
        guard let first = chars.first, let last = chars.last else { return false }
        if first == " " || last == " " { return false }
        if text.hasPrefix("---") || text.hasPrefix("...") { return false }
        for (index, char) in chars.enumerated() {
            guard isPrintable(char), char != "\t" else { return false }
            let followedByBlank = index + 1 >= chars.count || chars[index + 1] == " " || chars[index + 1] == "\t"
            if index == 0 {
                if "#,[]{}&*!|>'\"%@`".unicodeScalars.contains(char) { return false }
                if (char == "?" || char == ":" || char == "-") && followedByBlank { return false }
            } else {
                if char == ":" && followedByBlank { return false }
                if char == "#" && (chars[index - 1] == " " || chars[index - 1] == "\t") { return false }
            }
        }
        return true
    }

    /// go-yaml v2's key order: runes compared, letters after non-letters, digit runs by value.
    static func naturalLess(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.unicodeScalars), b = Array(rhs.unicodeScalars)
        var i = 0
        while i < a.count && i < b.count {
            if a[i] == b[i] { i += 1; continue }
            let al = a[i].properties.isAlphabetic, bl = b[i].properties.isAlphabetic
            if al && bl { return a[i].value < b[i].value }
            if al || bl { return bl }
            func isDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 48 && s.value <= 57 }
            var an: Int64 = 0, bn: Int64 = 0
            if a[i] == "0" || b[i] == "0" {
                var j = i - 1
                while j >= 0 && isDigit(a[j]) {
                    if a[j] != "0" { an = 1; bn = 1; break }
                    j -= 1
                }
            }
            var ai = i, bi = i
            while ai < a.count && isDigit(a[ai]) { an = an &* 10 &+ Int64(a[ai].value - 48); ai += 1 }
            while bi < b.count && isDigit(b[bi]) { bn = bn &* 10 &+ Int64(b[bi].value - 48); bi += 1 }
            if an != bn { return an < bn }
            if ai != bi { return ai < bi }
            return a[i].value < b[i].value
        }
        return a.count < b.count
    }
}
