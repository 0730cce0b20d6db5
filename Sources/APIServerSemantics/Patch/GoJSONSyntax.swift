/// The syntax error Go's `encoding/json` reports for a body that is not JSON, as kube-apiserver
/// passes it on (`error decoding patch: invalid character 'n' looking for beginning of object
/// key string`): the scanner's state machine, its contexts and its way of quoting a byte.
public enum GoJSONSyntax {
    /// `nil` when `bytes` is one valid JSON value (surrounded by whitespace at most).
    public static func error(in bytes: some Collection<UInt8>) -> String? {
        var scanner = Scanner()
        for byte in bytes {
            if let error = scanner.step(byte) { return error }
        }
        return scanner.end()
    }

    /// `'x'`, `'\n'`, `'"'`, `'\''` (Go's `quoteChar`, which quotes the byte as a rune).
    static func quote(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "'"): return #"'\''"#
        case UInt8(ascii: "\""): return #"'"'"#
        case 0x07: return #"'\a'"#
        case 0x08: return #"'\b'"#
        case 0x0C: return #"'\f'"#
        case 0x0A: return #"'\n'"#
        case 0x0D: return #"'\r'"#
        case 0x09: return #"'\t'"#
        case 0x0B: return #"'\v'"#
        case UInt8(ascii: "\\"): return #"'\\'"#
        case 0..<0x20, 0x7F: return "'\\x" + hex(byte) + "'"
        case 0x80..<0xA0: return "'\\u00" + hex(byte) + "'"
        case 0xA0: return "'\\u00a0'"
        case 0xAD: return "'\\u00ad'"
        default: return "'" + String(UnicodeScalar(byte)) + "'"
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    private struct Scanner {
        enum Parse { case objectKey, objectValue, arrayValue }
        enum State {
            case beginValue, beginValueOrEmpty, beginStringOrEmpty, beginString, endValue, endTop
            case inString, inStringEscape, inStringEscapeU(Int)
            case negative, one, zero, dot, dotDigits, exponent, exponentSign, exponentDigits
            case literal(word: [UInt8], index: Int)
        }

        var state = State.beginValue
        var stack: [Parse] = []
        var done = false

        static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

        func fail(_ byte: UInt8, _ context: String) -> String { "invalid character \(GoJSONSyntax.quote(byte)) \(context)" }

        mutating func step(_ byte: UInt8) -> String? {
            switch state {
            case .beginValueOrEmpty:
                if Self.isSpace(byte) { return nil }
                if byte == UInt8(ascii: "]") { return endContainer() }
                return beginValue(byte)
            case .beginValue:
                return beginValue(byte)
            case .beginStringOrEmpty:
                if Self.isSpace(byte) { return nil }
                if byte == UInt8(ascii: "}") {
                    stack[stack.count - 1] = .objectValue
                    return endContainer()
                }
                return beginString(byte)
            case .beginString:
                return beginString(byte)
            case .endValue:
                return endValue(byte)
            case .endTop:
                return Self.isSpace(byte) ? nil : fail(byte, "after top-level value")
            case .inString:
                if byte == UInt8(ascii: "\"") { state = .endValue } else if byte == UInt8(ascii: "\\") { state = .inStringEscape } else if byte < 0x20 {
                    return fail(byte, "in string literal")
                }
                return nil
            case .inStringEscape:
                if "bfnrt\\/\"".utf8.contains(byte) { state = .inString; return nil }
                if byte == UInt8(ascii: "u") { state = .inStringEscapeU(0); return nil }
                return fail(byte, "in string escape code")
            case .inStringEscapeU(let count):
                guard Self.isDigit(byte) || (0x61...0x66).contains(byte) || (0x41...0x46).contains(byte) else {
                    return fail(byte, "in \\u hexadecimal character escape")
                }
                state = count == 3 ? .inString : .inStringEscapeU(count + 1)
                return nil
            case .negative:
                if byte == UInt8(ascii: "0") { state = .zero; return nil }
                if (0x31...0x39).contains(byte) { state = .one; return nil }
                return fail(byte, "in numeric literal")
            case .one:
                if Self.isDigit(byte) { return nil }
                return zero(byte)
            case .zero:
                return zero(byte)
            case .dot:
                if Self.isDigit(byte) { state = .dotDigits; return nil }
                return fail(byte, "after decimal point in numeric literal")
            case .dotDigits:
                if Self.isDigit(byte) { return nil }
                if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { state = .exponent; return nil }
                return endValue(byte)
            case .exponent:
                if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") { state = .exponentSign; return nil }
                return exponentSign(byte)
            case .exponentSign:
                return exponentSign(byte)
            case .exponentDigits:
                if Self.isDigit(byte) { return nil }
                return endValue(byte)
            case .literal(let word, let index):
                guard byte == word[index] else {
                    let name = String(decoding: word, as: UTF8.self)
                    return fail(byte, "in literal \(name) (expecting \(GoJSONSyntax.quote(word[index])))")
                }
                state = index + 1 == word.count ? .endValue : .literal(word: word, index: index + 1)
                return nil
            }
        }

        mutating func beginValue(_ byte: UInt8) -> String? {
            if Self.isSpace(byte) { return nil }
            switch byte {
            case UInt8(ascii: "{"): stack.append(.objectKey); state = .beginStringOrEmpty
            case UInt8(ascii: "["): stack.append(.arrayValue); state = .beginValueOrEmpty
            case UInt8(ascii: "\""): state = .inString
            case UInt8(ascii: "-"): state = .negative
            case UInt8(ascii: "0"): state = .zero
            case 0x31...0x39: state = .one
            case UInt8(ascii: "t"): state = .literal(word: Array("true".utf8), index: 1)
            case UInt8(ascii: "f"): state = .literal(word: Array("false".utf8), index: 1)
            case UInt8(ascii: "n"): state = .literal(word: Array("null".utf8), index: 1)
            default: return fail(byte, "looking for beginning of value")
            }
            return nil
        }

        mutating func beginString(_ byte: UInt8) -> String? {
            if Self.isSpace(byte) { return nil }
            if byte == UInt8(ascii: "\"") { state = .inString; return nil }
            return fail(byte, "looking for beginning of object key string")
        }

        mutating func zero(_ byte: UInt8) -> String? {
            if byte == UInt8(ascii: ".") { state = .dot; return nil }
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { state = .exponent; return nil }
            return endValue(byte)
        }

        mutating func exponentSign(_ byte: UInt8) -> String? {
            if Self.isDigit(byte) { state = .exponentDigits; return nil }
            return fail(byte, "in exponent of numeric literal")
        }

        mutating func endValue(_ byte: UInt8) -> String? {
            guard let parse = stack.last else {
                state = .endTop
                return Self.isSpace(byte) ? nil : fail(byte, "after top-level value")
            }
            if Self.isSpace(byte) { state = .endValue; return nil }
            switch parse {
            case .objectKey:
                guard byte == UInt8(ascii: ":") else { return fail(byte, "after object key") }
                stack[stack.count - 1] = .objectValue
                state = .beginValue
            case .objectValue:
                if byte == UInt8(ascii: ",") {
                    stack[stack.count - 1] = .objectKey
                    state = .beginString
                } else if byte == UInt8(ascii: "}") {
                    return endContainer()
                } else {
                    return fail(byte, "after object key:value pair")
                }
            case .arrayValue:
                if byte == UInt8(ascii: ",") {
                    state = .beginValue
                } else if byte == UInt8(ascii: "]") {
                    return endContainer()
                } else {
                    return fail(byte, "after array element")
                }
            }
            return nil
        }

        mutating func endContainer() -> String? {
            stack.removeLast()
            state = stack.isEmpty ? .endTop : .endValue
            return nil
        }

        /// After the last byte: a number ends there; anything else unfinished is an unexpected end.
        mutating func end() -> String? {
            switch state {
            case .endTop: return nil
            case .one, .zero, .dotDigits, .exponentDigits, .endValue: return stack.isEmpty ? nil : "unexpected end of JSON input"
            default: return "unexpected end of JSON input"
            }
        }
    }
}
