/// A field selector (`metadata.name=web,status.phase!=Running`).
///
/// The API server supports a few fields per resource (`metadata.name` and
/// `metadata.namespace` everywhere; `status.phase`, `spec.nodeName` for pods, ...);
/// which ones is the server's call, so only the syntax is checked here.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public let field: String
        public let equals: Bool
        public let value: String

        public var description: String { "\(field)\(equals ? "=" : "!=")\(value)" }
    }

    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// A selector with one `field=value` requirement.
    public static func equals(_ field: String, _ value: String) -> FieldSelector {
        FieldSelector([Requirement(field: field, equals: true, value: value)])
    }

    /// A selector with one `field!=value` requirement.
    public static func notEquals(_ field: String, _ value: String) -> FieldSelector {
        FieldSelector([Requirement(field: field, equals: false, value: value)])
    }

    /// Parses `field=value`, `field==value`, `field!=value`, comma-separated.
    public init(parsing text: String) throws(SelectorError) {
        var requirements: [Requirement] = []
        for clause in text.split(separator: ",", omittingEmptySubsequences: false) {
            let clause = clause.trimmingSpaces
            if clause.isEmpty {
                if text.trimmingSpaces.isEmpty { break }
                throw SelectorError("empty clause in field selector \"\(text)\"")
            }
            let requirement: Requirement
            if let range = clause.firstRange(of: "!=") {
                requirement = Requirement(field: String(clause[..<range.lowerBound]).trimmingSpaces, equals: false, value: String(clause[range.upperBound...]).trimmingSpaces)
            } else if let range = clause.firstRange(of: "==") ?? clause.firstRange(of: "=") {
                requirement = Requirement(field: String(clause[..<range.lowerBound]).trimmingSpaces, equals: true, value: String(clause[range.upperBound...]).trimmingSpaces)
            } else {
                throw SelectorError("\"\(clause)\" is not of the form field=value or field!=value")
            }
            guard !requirement.field.isEmpty else { throw SelectorError("missing field name in \"\(clause)\"") }
            requirements.append(requirement)
        }
        self.requirements = requirements
    }

    public var description: String { requirements.map(\.description).joined(separator: ",") }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }

}
