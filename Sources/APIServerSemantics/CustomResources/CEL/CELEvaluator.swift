import Foundation
import KubeCore

/// A CEL runtime value.
enum CELValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case list([CELValue])
    case map([String: CELValue])

    /// A JSON value as CEL sees it under its schema (`number` fields are doubles,
    /// `integer` fields ints, int-or-string either).
    init(_ json: JSONValue, schema: StructuralSchema?) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = schema?.type == "number" ? .double(Double(number)) : .int(number)
        case .double(let number):
            if schema?.type == "integer" || schema?.intOrString == true, let exact = Int64(exactly: number) {
                self = .int(exact)
            } else {
                self = .double(number)
            }
        case .string(let text): self = .string(text)
        case .array(let items): self = .list(items.map { CELValue($0, schema: schema?.items) })
        case .object(let members):
            self = .map(Dictionary(uniqueKeysWithValues: members.map { ($0.key, CELValue($0.value, schema: schema?.member($0.key))) }))
        }
    }

    var typeName: String {
        switch self {
        case .null: "null_type"
        case .bool: "bool"
        case .int: "int"
        case .uint: "uint"
        case .double: "double"
        case .string: "string"
        case .list: "list"
        case .map: "map"
        }
    }

    /// The value as `string(x)` / a messageExpression shows it.
    var text: String {
        switch self {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .uint(let number): String(number)
        case .double(let number): String(number)
        case .string(let text): text
        case .list(let items): "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .map(let members): "{" + members.keys.sorted().map { "\($0): \(members[$0]!.text)" }.joined(separator: ", ") + "}"
        }
    }
}

/// Why an evaluation stopped.
enum CELError: Error, Sendable {
    /// A runtime error kube reports as the rule's failure (`no such key: x`).
    case runtime(String)
    /// The expression uses something KubeTestServer does not evaluate.
    case unsupported(String)
}

/// Evaluates the CEL subset kube's CRD validation rules commonly use: field access,
/// `has()`, `size()`, comparisons, arithmetic, `&&`/`||`/`!` (with CEL's error
/// absorption), `?:`, `in`, string `startsWith`/`endsWith`/`contains`/`matches`/
/// `lowerAscii`/`upperAscii`/`trim`, list `all`/`exists`/`exists_one`/`map`/`filter`,
/// `int()`/`uint()`/`double()`/`string()`, and `self`/`oldSelf`.
struct CELEvaluator {
    var variables: [String: CELValue]

    func evaluate(_ expr: CELExpr) throws(CELError) -> CELValue {
        switch expr {
        case .literal(let value):
            return value
        case .identifier(let name):
            guard let value = variables[name] else { throw CELError.runtime("undeclared reference to '\(name)'") }
            return value
        case .select(let target, let field):
            let base = try evaluate(target)
            guard case .map(let members) = base else { throw CELError.runtime("no such overload") }
            guard let value = members[field] else { throw CELError.runtime("no such key: \(field)") }
            return value
        case .index(let target, let index):
            let base = try evaluate(target)
            let key = try evaluate(index)
            switch (base, key) {
            case (.list(let items), .int(let position)):
                guard position >= 0, position < items.count else { throw CELError.runtime("index out of range: \(position)") }
                return items[Int(position)]
            case (.map(let members), .string(let name)):
                guard let value = members[name] else { throw CELError.runtime("no such key: \(name)") }
                return value
            default:
                throw CELError.runtime("no such overload")
            }
        case .list(let items):
            var values: [CELValue] = []
            for item in items { values.append(try evaluate(item)) }
            return .list(values)
        case .map(let entries):
            var members: [String: CELValue] = [:]
            for (key, value) in entries {
                guard case .string(let name) = try evaluate(key) else { throw CELError.unsupported("map literals with non-string keys") }
                members[name] = try evaluate(value)
            }
            return .map(members)
        case .unary(let op, let operand):
            let value = try evaluate(operand)
            switch (op, value) {
            case ("!", .bool(let flag)): return .bool(!flag)
            case ("-", .int(let number)): return .int(-number)
            case ("-", .double(let number)): return .double(-number)
            default: throw CELError.runtime("no such overload")
            }
        case .conditional(let condition, let then, let otherwise):
            guard case .bool(let flag) = try evaluate(condition) else { throw CELError.runtime("no such overload") }
            return try evaluate(flag ? then : otherwise)
        case .binary(let op, let lhs, let rhs):
            if op == "&&" || op == "||" { return try logical(op, lhs, rhs) }
            return try Self.binary(op, try evaluate(lhs), try evaluate(rhs))
        case .call(let target, let function, let arguments):
            return try call(target: target, function: function, arguments: arguments)
        }
    }

    /// `&&` / `||` are commutative over errors: `false && error` and `error && false` are `false`.
    private func logical(_ op: String, _ lhs: CELExpr, _ rhs: CELExpr) throws(CELError) -> CELValue {
        let decisive = op == "||"
        var firstError: CELError?
        for side in [lhs, rhs] {
            do throws(CELError) {
                let value = try evaluate(side)
                guard case .bool(let flag) = value else { throw CELError.runtime("no such overload") }
                if flag == decisive { return .bool(decisive) }
            } catch {
                if case .unsupported = error { throw error }
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        return .bool(!decisive)
    }

    static func binary(_ op: String, _ lhs: CELValue, _ rhs: CELValue) throws(CELError) -> CELValue {
        switch op {
        case "==": return .bool(equal(lhs, rhs))
        case "!=": return .bool(!equal(lhs, rhs))
        case "<", "<=", ">", ">=":
            let order = try compare(lhs, rhs)
            switch op {
            case "<": return .bool(order < 0)
            case "<=": return .bool(order <= 0)
            case ">": return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case "in":
            switch rhs {
            case .list(let items): return .bool(items.contains { equal($0, lhs) })
            case .map(let members):
                guard case .string(let key) = lhs else { return .bool(false) }
                return .bool(members[key] != nil)
            default: throw CELError.runtime("no such overload")
            }
        default:
            return try arithmetic(op, lhs, rhs)
        }
    }

    private static func arithmetic(_ op: String, _ lhs: CELValue, _ rhs: CELValue) throws(CELError) -> CELValue {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)):
            switch op {
            case "+": let (r, o) = a.addingReportingOverflow(b); if o { throw CELError.runtime("integer overflow") }; return .int(r)
            case "-": let (r, o) = a.subtractingReportingOverflow(b); if o { throw CELError.runtime("integer overflow") }; return .int(r)
            case "*": let (r, o) = a.multipliedReportingOverflow(by: b); if o { throw CELError.runtime("integer overflow") }; return .int(r)
            case "/": if b == 0 { throw CELError.runtime("division by zero") }; return .int(a / b)
            case "%": if b == 0 { throw CELError.runtime("modulus by zero") }; return .int(a % b)
            default: break
            }
        case (.uint(let a), .uint(let b)):
            switch op {
            case "+": return .uint(a &+ b)
            case "-": if b > a { throw CELError.runtime("unsigned integer overflow") }; return .uint(a - b)
            case "*": return .uint(a &* b)
            case "/": if b == 0 { throw CELError.runtime("division by zero") }; return .uint(a / b)
            case "%": if b == 0 { throw CELError.runtime("modulus by zero") }; return .uint(a % b)
            default: break
            }
        case (.double(let a), .double(let b)):
            switch op {
            case "+": return .double(a + b)
            case "-": return .double(a - b)
            case "*": return .double(a * b)
            case "/": return .double(a / b)
            default: break
            }
        case (.string(let a), .string(let b)) where op == "+": return .string(a + b)
        case (.list(let a), .list(let b)) where op == "+": return .list(a + b)
        default: break
        }
        throw CELError.runtime("no such overload: \(lhs.typeName) \(op) \(rhs.typeName)")
    }

    /// CEL's heterogeneous equality: numbers compare by value across int, uint and double.
    static func equal(_ lhs: CELValue, _ rhs: CELValue) -> Bool {
        if let a = numeric(lhs), let b = numeric(rhs) { return a == b }
        switch (lhs, rhs) {
        case (.list(let a), .list(let b)): return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.map(let a), .map(let b)): return a.count == b.count && a.allSatisfy { key, value in b[key].map { equal(value, $0) } ?? false }
        default: return lhs == rhs
        }
    }

    private static func numeric(_ value: CELValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .uint(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    private static func compare(_ lhs: CELValue, _ rhs: CELValue) throws(CELError) -> Int {
        if let a = numeric(lhs), let b = numeric(rhs) { return a < b ? -1 : a > b ? 1 : 0 }
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): return a < b ? -1 : a > b ? 1 : 0
        case (.bool(let a), .bool(let b)): return a == b ? 0 : (!a ? -1 : 1)
        default: throw CELError.runtime("no such overload: \(lhs.typeName) < \(rhs.typeName)")
        }
    }
}
