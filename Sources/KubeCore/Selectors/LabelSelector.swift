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

        /// Validates the key, the values and the number of values the operator needs, with
        /// kube-apiserver's messages (`NewRequirement` in `k8s.io/apimachinery/pkg/labels`).
        public init(_ key: String, _ op: Operator, _ values: [String] = []) throws(SelectorError) {
            let values = op == .in || op == .notIn ? Array(Set(values)).sorted() : values
            var errors: [String] = []
            if let problem = LabelValidation.qualifiedNameErrors(key) { errors.append(LabelValidation.invalid("key", key, problem)) }
            let shown = "[]string{" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
            switch op {
            case .in, .notIn:
                if values.isEmpty { errors.append("values: Invalid value: \(shown): for 'in', 'notin' operators, values set can't be empty") }
            case .equals, .notEquals:
                if values.count != 1 { errors.append("values: Invalid value: \(shown): exact-match compatibility requires one single value") }
            case .exists, .doesNotExist:
                if !values.isEmpty { errors.append("values: Invalid value: \(shown): values set must be empty for exists and does not exist") }
            case .greaterThan, .lessThan:
                if values.count != 1 { errors.append("values: Invalid value: \(shown): for 'Gt', 'Lt' operators, exactly one value is required") }
                for (index, value) in values.enumerated() where Int64(value) == nil {
                    errors.append(LabelValidation.invalid("values[\(index)]", value, "for 'Gt', 'Lt' operators, the value must be an integer"))
                }
            }
            for (index, value) in values.enumerated() {
                if let problem = LabelValidation.labelValueErrors(value) {
                    errors.append(LabelValidation.invalid("values[\(index)][\(key)]", value, problem))
                }
            }
            if let message = LabelValidation.aggregate(errors) { throw SelectorError(message) }
            self.key = key
            self.operator = op
            self.values = values
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

