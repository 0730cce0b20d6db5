import KubeCore

/// JSON → block-style YAML, for manifests a person reads and `kubectl apply` takes. Keys come
/// in Kubernetes' order at the top (`apiVersion`, `kind`, `metadata`, `spec`, `status`), then
/// sorted; a string that YAML would read as something else (`true`, `1.0`, `null`, `a: b`, …)
/// is written as a JSON string literal, which YAML reads back unchanged.
public enum YAMLWriter {
    /// One YAML document of `value`, ending with a newline.
    public static func document(_ value: JSONValue) -> String {
        var out = ""
        switch value {
        case .object(let members) where !members.isEmpty: writeObject(members, indent: 0, into: &out)
        case .array(let items) where !items.isEmpty: writeArray(items, indent: 0, into: &out)
        default: out = scalar(value) + "\n"
        }
        return out
    }

    static let leading = ["apiVersion", "kind", "metadata", "spec", "status"]

    static func orderedKeys(_ members: [String: JSONValue]) -> [String] {
        leading.filter { members[$0] != nil } + members.keys.filter { !leading.contains($0) }.sorted()
    }

    static func writeObject(_ members: [String: JSONValue], indent: Int, into out: inout String, firstLinePrefix: String? = nil) {
        let pad = String(repeating: " ", count: indent)
        for (index, key) in orderedKeys(members).enumerated() {
            let value = members[key]!
            out += (index == 0 ? firstLinePrefix ?? pad : pad) + string(key) + ":"
            switch value {
            case .object(let nested) where !nested.isEmpty:
                out += "\n"
                writeObject(nested, indent: indent + 2, into: &out)
            case .array(let items) where !items.isEmpty:
                out += "\n"
                writeArray(items, indent: indent, into: &out)
            default:
                out += " " + scalar(value) + "\n"
            }
        }
    }

    /// A list under a key sits at the key's indentation (`- ` counts as indentation), as kubectl writes it.
    static func writeArray(_ items: [JSONValue], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .object(let members) where !members.isEmpty:
                writeObject(members, indent: indent + 2, into: &out, firstLinePrefix: pad + "- ")
            case .array(let nested) where !nested.isEmpty:
                out += pad + "-\n"
                writeArray(nested, indent: indent + 2, into: &out)
            default:
                out += pad + "- " + scalar(item) + "\n"
            }
        }
    }

    static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .double(let number): number.isFinite ? "\(number)" : quoted("\(number)")
        case .string(let text): string(text)
        case .array: "[]"
        case .object: "{}"
        }
    }

    /// Plain when YAML 1.1 and 1.2 both read it back as this string, else a JSON string literal.
    static func string(_ text: String) -> String { isPlainSafe(text) ? text : quoted(text) }

    static let reserved: Set<String> = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "True", "False", "Yes", "No", "On", "Off", "Y", "N",
        "NULL", "Null", "TRUE", "FALSE", "YES", "NO", "ON", "OFF",
    ]

    static func isPlainSafe(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !reserved.contains(text) else { return false }
        let letters = { (scalar: Unicode.Scalar) in (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") }
        guard letters(first) || first == "_" || first == "/" else { return false }
        let allowed = text.unicodeScalars.allSatisfy { letters($0) || ($0 >= "0" && $0 <= "9") || "_-./ ".unicodeScalars.contains($0) }
        return allowed && !text.hasSuffix(" ")
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
