/// Label key and value syntax (`k8s.io/apimachinery/pkg/util/validation`), with its messages.
package enum LabelValidation {
    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let qualifiedNameMessage =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let subdomainFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"

    /// `MESSAGE (e.g. 'A',  or 'B', regex used for validation is 'FORMAT')`, as kube's `RegexError`.
    static func regexError(_ message: String, _ format: String, _ examples: String...) -> String {
        message + " (e.g. " + examples.map { "'\($0)', " }.joined(separator: " or ") + "regex used for validation is '\(format)')"
    }

    /// `FIELD: Invalid value: "VALUE": DETAIL` (a `field.Invalid` error).
    static func invalid(_ field: String, _ value: String, _ detail: String) -> String {
        "\(field): Invalid value: \"\(value)\": \(detail)"
    }

    /// One error as itself, several as `[a, b]` (an `Aggregate`, duplicates dropped).
    static func aggregate(_ errors: [String]) -> String? {
        var unique: [String] = []
        for error in errors where !unique.contains(error) { unique.append(error) }
        if unique.count <= 1 { return unique.first }
        return "[" + unique.joined(separator: ", ") + "]"
    }

    /// kube's `IsQualifiedName` (`[prefix/]name`), its errors joined by `; `, or `nil` when valid.
    package static func qualifiedNameErrors(_ key: String) -> String? {
        var errors: [String] = []
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        let name: Substring
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            name = parts[1]
            if parts[0].isEmpty {
                errors.append("prefix part must be non-empty")
            } else {
                if parts[0].utf8.count > 253 { errors.append("prefix part must be no more than 253 bytes") }
                if !isDNSSubdomain(parts[0]) {
                    errors.append("prefix part " + regexError(
                        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                        subdomainFormat, "example.com"))
                }
            }
        default:
            return "a qualified name " + regexError(qualifiedNameMessage, qualifiedNameFormat, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        }
        if name.isEmpty {
            errors.append("name part must be non-empty")
        } else if name.utf8.count > 63 {
            errors.append("name part must be no more than 63 bytes")
        }
        if !isQualifiedNamePart(name) {
            errors.append("name part " + regexError(qualifiedNameMessage, qualifiedNameFormat, "MyName", "my.name", "123-abc"))
        }
        return errors.isEmpty ? nil : errors.joined(separator: "; ")
    }

    /// kube's `IsValidLabelValue`: empty, or at most 63 bytes of `[A-Za-z0-9._-]` starting and
    /// ending with an alphanumeric.
    package static func labelValueErrors(_ value: String) -> String? {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append("must be no more than 63 bytes") }
        if !value.isEmpty && !isQualifiedNamePart(Substring(value)) {
            errors.append(regexError(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                "(" + qualifiedNameFormat + ")?", "MyValue", "my_value", "12345"))
        }
        return errors.isEmpty ? nil : errors.joined(separator: "; ")
    }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
    }

    package static func isQualifiedNamePart(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// kube's DNS-1123 subdomain pattern (labels of `[a-z0-9-]` starting and ending alphanumeric,
    /// joined by dots; the 253-byte limit is checked apart).
    package static func isDNSSubdomain(_ text: Substring) -> Bool {
        text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let bytes = Array(label.utf8)
            guard let first = bytes.first, let last = bytes.last else { return false }
            let lower = { (c: UInt8) in (c >= 48 && c <= 57) || (c >= 97 && c <= 122) }
            return lower(first) && lower(last) && bytes.allSatisfy { lower($0) || $0 == UInt8(ascii: "-") }
        }
    }
}

/// The label selector grammar of `k8s.io/apimachinery/pkg/labels` (`Parse`): the same tokens
/// and the same error texts, so a selector that kube-apiserver refuses is refused here with the
/// message a user would see from the server.
struct LabelSelectorParser {
    enum Token: Equatable {
        case endOfString, closedPar, comma, doesNotExist, doubleEquals, equals, greaterThan, identifier, `in`, lessThan,
            notEquals, notIn, openPar
    }

    private static let keywords: [String: Token] = [
        ")": .closedPar, ",": .comma, "!": .doesNotExist, "==": .doubleEquals, "=": .equals, ">": .greaterThan, "in": .in,
        "<": .lessThan, "!=": .notEquals, "notin": .notIn, "(": .openPar,
    ]

    private var items: [(token: Token, literal: String)] = []
    private var position = 0

    init(_ text: String) {
        items = Self.scan(Array(text.utf8))
    }

    private static func isWhitespace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }

    private static func isSpecial(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
            UInt8(ascii: ">"), UInt8(ascii: "<"): true
        default: false
        }
    }

    /// The lexer: whitespace separates; a run of special symbols is cut into the longest known
    /// operators; anything else up to a special symbol or whitespace is a word (`in`, `notin`, or
    /// an identifier).
    private static func scan(_ bytes: [UInt8]) -> [(token: Token, literal: String)] {
        var items: [(token: Token, literal: String)] = []
        var index = 0
        while true {
            while index < bytes.count, isWhitespace(bytes[index]) { index += 1 }
            guard index < bytes.count else {
                items.append((.endOfString, ""))
                return items
            }
            let start = index
            if isSpecial(bytes[index]) {
                // Every single special symbol is a token, so the first one always matches.
                var end = index + 1
                if end < bytes.count, isSpecial(bytes[end]),
                    keywords[String(decoding: bytes[start...end], as: UTF8.self)] != nil
                {
                    end += 1
                }
                let literal = String(decoding: bytes[start..<end], as: UTF8.self)
                items.append((keywords[literal]!, literal))
                index = end
            } else {
                while index < bytes.count, !isSpecial(bytes[index]), !isWhitespace(bytes[index]) { index += 1 }
                let literal = String(decoding: bytes[start..<index], as: UTF8.self)
                items.append((keywords[literal] ?? .identifier, literal))
            }
        }
    }

    /// In a value position `in` and `notin` are plain identifiers.
    private func lookahead(values: Bool = true) -> (token: Token, literal: String) {
        var item = items[position]
        if values, item.token == .in || item.token == .notIn { item.token = .identifier }
        return item
    }

    private mutating func consume(values: Bool = true) -> (token: Token, literal: String) {
        let item = lookahead(values: values)
        position += 1
        return item
    }

    mutating func parse() throws(SelectorError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        while true {
            let next = lookahead()
            switch next.token {
            case .identifier, .doesNotExist:
                do {
                    requirements.append(try requirement())
                } catch {
                    throw SelectorError("unable to parse requirement: \(error.message)")
                }
                let after = consume()
                switch after.token {
                case .endOfString:
                    return requirements
                case .comma:
                    let following = lookahead()
                    if following.token != .identifier && following.token != .doesNotExist {
                        throw SelectorError("found '\(following.literal)', expected: identifier after ','")
                    }
                default:
                    throw SelectorError("found '\(after.literal)', expected: ',' or 'end of string'")
                }
            case .endOfString:
                return requirements
            default:
                throw SelectorError("found '\(next.literal)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    private mutating func requirement() throws(SelectorError) -> LabelSelector.Requirement {
        var (token, key) = consume()
        var doesNotExist = false
        if token == .doesNotExist {
            doesNotExist = true
            (token, key) = consume()
        }
        guard token == .identifier else { throw SelectorError("found '\(key)', expected: identifier") }
        // The parser has no field path: kube prints a nil path as `<nil>`.
        if let problem = LabelValidation.qualifiedNameErrors(key) { throw SelectorError(LabelValidation.invalid("<nil>", key, problem)) }
        let next = lookahead().token
        if doesNotExist || next == .endOfString || next == .comma {
            return try LabelSelector.Requirement(key, doesNotExist ? .doesNotExist : .exists)
        }
        let op: LabelSelector.Requirement.Operator
        let (opToken, opLiteral) = consume(values: false)
        switch opToken {
        case .in: op = .in
        case .notIn: op = .notIn
        case .equals, .doubleEquals: op = .equals
        case .notEquals: op = .notEquals
        case .greaterThan: op = .greaterThan
        case .lessThan: op = .lessThan
        default: throw SelectorError("found '\(opLiteral)', expected: in, notin, =, ==, !=, gt, lt")
        }
        let values = op == .in || op == .notIn ? try valueSet() : [try exactValue()]
        return try LabelSelector.Requirement(key, op, values)
    }

    /// `(a,b,c)`, where empty entries are the empty value.
    private mutating func valueSet() throws(SelectorError) -> [String] {
        let open = consume()
        guard open.token == .openPar else { throw SelectorError("found '\(open.literal)' expected: '('") }
        let first = lookahead()
        switch first.token {
        case .identifier, .comma:
            let values = try identifierList()
            if consume().token != .closedPar { throw SelectorError("found '\(first.literal)', expected: ')'") }
            return values
        case .closedPar:
            position += 1
            return [""]
        default:
            throw SelectorError("found '\(first.literal)', expected: ',', ')' or identifier")
        }
    }

    private mutating func identifierList() throws(SelectorError) -> [String] {
        var values: Set<String> = []
        while true {
            let item = consume()
            switch item.token {
            case .identifier:
                values.insert(item.literal)
                let next = lookahead()
                switch next.token {
                case .comma: continue
                case .closedPar: return Array(values)
                default: throw SelectorError("found '\(next.literal)', expected: ',' or ')'")
                }
            case .comma:
                if values.isEmpty { values.insert("") }
                let next = lookahead().token
                if next == .closedPar {
                    values.insert("")
                    return Array(values)
                }
                if next == .comma {
                    position += 1
                    values.insert("")
                }
            default:
                throw SelectorError("found '\(item.literal)', expected: ',', or identifier")
            }
        }
    }

    private mutating func exactValue() throws(SelectorError) -> String {
        let next = lookahead().token
        if next == .endOfString || next == .comma { return "" }
        let item = consume()
        guard item.token == .identifier else { throw SelectorError("found '\(item.literal)', expected: identifier") }
        return item.literal
    }
}
