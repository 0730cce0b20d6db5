/// A label selector: requirements that all must match (`app=web,tier in (a,b),!canary`).
///
/// Build one from requirements or parse one from the string form the API server
/// accepts; both validate keys and values the way kube-apiserver does, so a bad
/// selector fails before any request is sent.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) {
        self.requirements = requirements
    }

    /// A selector matching every label in `labels` exactly.
    public init(matchLabels labels: [String: String]) throws(SelectorError) {
        var requirements: [Requirement] = []
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            requirements.append(try Requirement(key, .equals, [value]))
        }
        self.requirements = requirements
    }

    /// Parses the string form (`key=value`, `key!=value`, `key in (a,b)`,
    /// `key notin (a,b)`, `key`, `!key`, `key>1`, `key<1`, comma-separated).
    public init(parsing text: String) throws(SelectorError) {
        var parser = LabelSelectorParser(text)
        self.requirements = try parser.parse()
    }

    /// The string form sent as the `labelSelector` query parameter.
    public var description: String { requirements.map(\.description).joined(separator: ",") }

    /// `true` when `labels` satisfies every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    /// One clause of a selector.
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public enum Operator: String, Sendable, Hashable {
            case equals = "="
            case notEquals = "!="
            case `in` = "in"
            case notIn = "notin"
            case exists
            case doesNotExist = "!"
            case greaterThan = ">"
            case lessThan = "<"
        }

        public let key: String
        public let `operator`: Operator
        public let values: [String]

        /// Validates the key, the values and the number of values the operator needs.
        public init(_ key: String, _ op: Operator, _ values: [String] = []) throws(SelectorError) {
            try LabelValidation.validateKey(key)
            switch op {
            case .exists, .doesNotExist:
                guard values.isEmpty else { throw SelectorError("values must be empty for operator \(op) on key \"\(key)\"") }
            case .equals, .notEquals:
                guard values.count == 1 else { throw SelectorError("exactly one value is required for operator \(op.rawValue) on key \"\(key)\"") }
            case .in, .notIn:
                guard !values.isEmpty else { throw SelectorError("at least one value is required for operator \(op.rawValue) on key \"\(key)\"") }
            case .greaterThan, .lessThan:
                guard values.count == 1, Int64(values[0]) != nil else {
                    throw SelectorError("operator \(op.rawValue) on key \"\(key)\" needs one integer value")
                }
            }
            if op != .greaterThan && op != .lessThan {
                for value in values { try LabelValidation.validateValue(value) }
            }
            self.key = key
            self.operator = op
            self.values = op == .in || op == .notIn ? Array(Set(values)).sorted() : values
        }

        public var description: String {
            switch `operator` {
            case .equals: "\(key)=\(values[0])"
            case .notEquals: "\(key)!=\(values[0])"
            case .in: "\(key) in (\(values.joined(separator: ",")))"
            case .notIn: "\(key) notin (\(values.joined(separator: ",")))"
            case .exists: key
            case .doesNotExist: "!\(key)"
            case .greaterThan: "\(key)>\(values[0])"
            case .lessThan: "\(key)<\(values[0])"
            }
        }

        public func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch `operator` {
            case .equals: return value == values[0]
            case .notEquals: return value != values[0]
            case .in: return value.map(values.contains) ?? false
            case .notIn: return !(value.map(values.contains) ?? false)
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            case .greaterThan, .lessThan:
                guard let value, let number = Int64(value), let bound = Int64(values[0]) else { return false }
                return `operator` == .greaterThan ? number > bound : number < bound
            }
        }
    }
}

/// A selector, key or value that the API server would reject.
public struct SelectorError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "invalid selector: \(message)" }
}

/// Label key and value syntax (`k8s.io/apimachinery/pkg/util/validation`).
package enum LabelValidation {
    /// `[prefix/]name`: prefix a DNS-1123 subdomain of at most 253 characters, name at most
    /// 63 characters of `[A-Za-z0-9._-]` starting and ending with an alphanumeric.
    package static func validateKey(_ key: String) throws(SelectorError) {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let name: Substring
        if parts.count == 2 {
            let prefix = parts[0]
            guard !prefix.isEmpty, prefix.count <= 253, isDNSSubdomain(prefix) else {
                throw SelectorError("key \"\(key)\": prefix must be a DNS-1123 subdomain")
            }
            name = parts[1]
        } else {
            name = parts[0]
        }
        guard !name.isEmpty else { throw SelectorError("key \"\(key)\": name part must not be empty") }
        guard name.count <= 63 else { throw SelectorError("key \"\(key)\": name part must be no more than 63 characters") }
        guard isQualifiedNamePart(name) else {
            throw SelectorError(
                "key \"\(key)\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
            )
        }
    }

    /// Empty, or at most 63 characters of `[A-Za-z0-9._-]` starting and ending with an alphanumeric.
    package static func validateValue(_ value: String) throws(SelectorError) {
        guard !value.isEmpty else { return }
        guard value.count <= 63 else { throw SelectorError("value \"\(value)\" must be no more than 63 characters") }
        guard isQualifiedNamePart(Substring(value)) else {
            throw SelectorError(
                "value \"\(value)\" must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
            )
        }
    }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
    }

    package static func isQualifiedNamePart(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    package static func isDNSSubdomain(_ text: Substring) -> Bool {
        text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let bytes = Array(label.utf8)
            guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
            let lower = { (c: UInt8) in (c >= 48 && c <= 57) || (c >= 97 && c <= 122) }
            return lower(first) && lower(last) && bytes.allSatisfy { lower($0) || $0 == UInt8(ascii: "-") }
        }
    }
}

/// A small recursive-descent parser for the label selector string form.
private struct LabelSelectorParser {
    private let bytes: [UInt8]
    private var index = 0
    private let text: String

    init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8)
    }

    mutating func parse() throws(SelectorError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        skipSpaces()
        if index == bytes.count { return [] }
        while true {
            requirements.append(try requirement())
            skipSpaces()
            if index == bytes.count { return requirements }
            guard bytes[index] == UInt8(ascii: ",") else { throw error("expected ',' at position \(index)") }
            index += 1
        }
    }

    private func error(_ message: String) -> SelectorError {
        SelectorError("\(message) in \"\(text)\"")
    }

    private mutating func skipSpaces() {
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
    }

    private func isTokenByte(_ c: UInt8) -> Bool {
        !(c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: ",") || c == UInt8(ascii: "(")
            || c == UInt8(ascii: ")") || c == UInt8(ascii: "=") || c == UInt8(ascii: "!") || c == UInt8(ascii: "<")
            || c == UInt8(ascii: ">"))
    }

    private mutating func word() -> String {
        let start = index
        while index < bytes.count, isTokenByte(bytes[index]) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func requirement() throws(SelectorError) -> LabelSelector.Requirement {
        skipSpaces()
        if index < bytes.count, bytes[index] == UInt8(ascii: "!") {
            index += 1
            skipSpaces()
            let key = word()
            guard !key.isEmpty else { throw error("expected a key after '!'") }
            return try LabelSelector.Requirement(key, .doesNotExist)
        }
        let key = word()
        guard !key.isEmpty else { throw error("expected a key at position \(index)") }
        skipSpaces()
        guard index < bytes.count, bytes[index] != UInt8(ascii: ",") else {
            return try LabelSelector.Requirement(key, .exists)
        }
        switch bytes[index] {
        case UInt8(ascii: "="):
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "=") { index += 1 }
            return try LabelSelector.Requirement(key, .equals, [value()])
        case UInt8(ascii: "!"):
            index += 1
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw error("expected '!=' after key \"\(key)\"") }
            index += 1
            return try LabelSelector.Requirement(key, .notEquals, [value()])
        case UInt8(ascii: ">"):
            index += 1
            return try LabelSelector.Requirement(key, .greaterThan, [value()])
        case UInt8(ascii: "<"):
            index += 1
            return try LabelSelector.Requirement(key, .lessThan, [value()])
        default:
            let op = word()
            switch op {
            case "in": return try LabelSelector.Requirement(key, .in, try valueSet())
            case "notin": return try LabelSelector.Requirement(key, .notIn, try valueSet())
            default: throw error("unknown operator \"\(op)\" after key \"\(key)\"")
            }
        }
    }

    private mutating func value() throws(SelectorError) -> String {
        skipSpaces()
        return word()
    }

    private mutating func valueSet() throws(SelectorError) -> [String] {
        skipSpaces()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "(") else { throw error("expected '(' to open a set of values") }
        index += 1
        var values: [String] = []
        while true {
            skipSpaces()
            values.append(word())
            skipSpaces()
            guard index < bytes.count else { throw error("missing ')' to close a set of values") }
            if bytes[index] == UInt8(ascii: ")") {
                index += 1
                return values
            }
            guard bytes[index] == UInt8(ascii: ",") else { throw error("expected ',' or ')' in a set of values") }
            index += 1
        }
    }
}
