import Foundation

extension CELEvaluator {
    /// Macros (`has`, `all`, `exists`, `exists_one`, `map`, `filter`) and functions.
    func call(target: CELExpr?, function: String, arguments: [CELExpr]) throws(CELError) -> CELValue {
        if target == nil, function == "has" {
            guard arguments.count == 1, case .select(let base, let field) = arguments[0] else {
                throw CELError.runtime("invalid argument to has() macro")
            }
            switch try evaluate(base) {
            case .map(let members): return .bool(members[field] != nil)
            default: throw CELError.runtime("no such overload")
            }
        }
        if let target, ["all", "exists", "exists_one", "map", "filter"].contains(function) {
            return try comprehension(function, target: target, arguments: arguments)
        }
        var values: [CELValue] = []
        if let target { values.append(try evaluate(target)) }
        for argument in arguments { values.append(try evaluate(argument)) }
        return try Self.function(function, values, method: target != nil)
    }

    private func comprehension(_ macro: String, target: CELExpr, arguments: [CELExpr]) throws(CELError) -> CELValue {
        guard arguments.count == 2, case .identifier(let variable) = arguments[0] else {
            throw CELError.unsupported("\(macro)() with \(arguments.count) arguments")
        }
        let range: [CELValue]
        switch try evaluate(target) {
        case .list(let items): range = items
        case .map(let members): range = members.keys.sorted().map { CELValue.string($0) }
        default: throw CELError.runtime("no such overload")
        }
        var scope = self
        var results: [CELValue] = []
        var count = 0
        var firstError: CELError?
        for element in range {
            scope.variables[variable] = element
            do throws(CELError) {
                let value = try scope.evaluate(arguments[1])
                switch macro {
                case "map":
                    results.append(value)
                case "filter":
                    if value == .bool(true) { results.append(element) }
                default:
                    guard case .bool(let flag) = value else { throw CELError.runtime("no such overload") }
                    if macro == "all", !flag { return .bool(false) }
                    if macro == "exists", flag { return .bool(true) }
                    if flag { count += 1 }
                }
            } catch {
                if case .unsupported = error { throw error }
                if macro == "map" || macro == "filter" { throw error }
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        switch macro {
        case "all": return .bool(true)
        case "exists": return .bool(false)
        case "exists_one": return .bool(count == 1)
        default: return .list(results)
        }
    }

    static func function(_ name: String, _ values: [CELValue], method: Bool) throws(CELError) -> CELValue {
        switch (name, values.count, values.first, values.count > 1 ? values[1] : nil) {
        case ("size", 1, .string(let text)?, _): return .int(Int64(text.unicodeScalars.count))
        case ("size", 1, .list(let items)?, _): return .int(Int64(items.count))
        case ("size", 1, .map(let members)?, _): return .int(Int64(members.count))
        case ("startsWith", 2, .string(let text)?, .string(let prefix)?): return .bool(text.hasPrefix(prefix))
        case ("endsWith", 2, .string(let text)?, .string(let suffix)?): return .bool(text.hasSuffix(suffix))
        case ("contains", 2, .string(let text)?, .string(let part)?): return .bool(part.isEmpty || text.contains(part))
        case ("matches", 2, .string(let text)?, .string(let pattern)?):
            guard (try? NSRegularExpression(pattern: pattern)) != nil else { throw CELError.runtime("invalid regular expression: \(pattern)") }
            return .bool(StructuralSchema.matches(text, pattern: pattern))
        case ("lowerAscii", 1, .string(let text)?, _): return .string(String(text.map { $0.isASCII ? Character($0.lowercased()) : $0 }))
        case ("upperAscii", 1, .string(let text)?, _): return .string(String(text.map { $0.isASCII ? Character($0.uppercased()) : $0 }))
        case ("trim", 1, .string(let text)?, _): return .string(text.trimmingCharacters(in: .whitespacesAndNewlines))
        case ("int", 1, .int(let number)?, _): return .int(number)
        case ("int", 1, .uint(let number)?, _):
            guard let exact = Int64(exactly: number) else { throw CELError.runtime("integer overflow") }
            return .int(exact)
        case ("int", 1, .double(let number)?, _):
            guard let exact = Int64(exactly: number.rounded(.towardZero)) else { throw CELError.runtime("integer overflow") }
            return .int(exact)
        case ("int", 1, .string(let text)?, _):
            guard let number = Int64(text) else { throw CELError.runtime("cannot convert \(quoted(text)) to int") }
            return .int(number)
        case ("uint", 1, .int(let number)?, _):
            guard number >= 0 else { throw CELError.runtime("unsigned integer overflow") }
            return .uint(UInt64(number))
        case ("uint", 1, .uint(let number)?, _): return .uint(number)
        case ("double", 1, .int(let number)?, _): return .double(Double(number))
        case ("double", 1, .uint(let number)?, _): return .double(Double(number))
        case ("double", 1, .double(let number)?, _): return .double(number)
        case ("double", 1, .string(let text)?, _):
            guard let number = Double(text) else { throw CELError.runtime("cannot convert \(quoted(text)) to double") }
            return .double(number)
        case ("string", 1, let value?, _): return .string(value.text)
        case ("bool", 1, .bool(let flag)?, _): return .bool(flag)
        case ("sum", 1, .list(let items)?, _) where method:
            var total = CELValue.int(0)
            for item in items { total = try binary("+", total, item) }
            return total
        case ("isSorted", 1, .list(let items)?, _) where method:
            for (a, b) in zip(items, items.dropFirst()) {
                if try binary("<=", a, b) == .bool(false) { return .bool(false) }
            }
            return .bool(true)
        default:
            let known = ["size", "startsWith", "endsWith", "contains", "matches", "lowerAscii", "upperAscii", "trim", "int", "uint", "double", "string", "bool"]
            if known.contains(name) { throw CELError.runtime("found no matching overload for '\(name)' applied to '(\(values.map(\.typeName).joined(separator: ", ")))'") }
            throw CELError.unsupported("function '\(name)'")
        }
    }
}
