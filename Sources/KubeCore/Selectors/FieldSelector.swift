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

    /// Parses `field=value`, `field==value`, `field!=value`, comma-separated, as kube's
    /// `fields.ParseSelector` does: empty terms are skipped, a term without an operator is an
    /// error (`invalid selector: 'TEXT'; can't understand 'TERM'`), spaces around fields and values
    /// are trimmed.
    public init(parsing text: String) throws(SelectorError) {
        var requirements: [Requirement] = []
        for clause in text.split(separator: ",", omittingEmptySubsequences: false) {
            let clause = clause.trimmingSpaces
            if clause.isEmpty { continue }
            // The first operator from the left wins (`a=b!=c` is field `a`, value `b!=c`).
            var requirement: Requirement?
            var index = clause.startIndex
            while index < clause.endIndex, requirement == nil {
                let rest = clause[index...]
                for (op, equals) in [("!=", false), ("==", true), ("=", true)] where rest.hasPrefix(op) {
                    requirement = Requirement(
                        field: String(clause[..<index]).trimmingSpaces, equals: equals,
                        value: String(rest.dropFirst(op.count)).trimmingSpaces)
                    break
                }
                index = clause.index(after: index)
            }
            guard let requirement, !requirement.field.isEmpty else {
                throw SelectorError("invalid selector: '\(text)'; can't understand '\(clause)'")
            }
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
