/// A parsed CEL expression (the subset KubeTestServer evaluates; anything that parses
/// but is outside the subset is refused at evaluation with ``CELError/unsupported(_:)``).
indirect enum CELExpr: Sendable {
    case literal(CELValue)
    case identifier(String)
    case select(CELExpr, String)
    case index(CELExpr, CELExpr)
    /// A global call `f(args)` or a method call `target.f(args)`.
    case call(target: CELExpr?, function: String, arguments: [CELExpr])
    case list([CELExpr])
    case map([(CELExpr, CELExpr)])
    case unary(String, CELExpr)
    case binary(String, CELExpr, CELExpr)
    case conditional(CELExpr, CELExpr, CELExpr)
}

/// A CEL syntax error, rendered as cel-go renders it (`ERROR: <input>:1:19: Syntax error: …`
/// with the source line and a caret).
struct CELSyntaxError: Error, Sendable {
    var offset: Int
    var message: String

    func rendered(source: String) -> String {
        let column = offset + 1
        return "ERROR: <input>:1:\(column): Syntax error: \(message)\n | \(source)\n | \(String(repeating: ".", count: offset))^"
    }
}

/// Tokens of CEL's lexical grammar.
enum CELToken: Sendable, Equatable {
    case identifier(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case punct(String)
    case end
}

enum CELLexer {
    /// `true` when `name` occurs as an identifier token (used to spot transition rules).
    static func mentionsIdentifier(_ name: String, in source: String) -> Bool {
        guard let tokens = try? tokenize(source) else { return source.contains(name) }
        return tokens.contains { $0.token == .identifier(name) }
    }

    static func tokenize(_ source: String) throws(CELSyntaxError) -> [(token: CELToken, offset: Int)] {
        let chars = Array(source.unicodeScalars)
        var tokens: [(CELToken, Int)] = []
        var i = 0
        let puncts = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%", "!", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}"]
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            let start = i
            if c.properties.isAlphabetic || c == "_" {
                while i < chars.count, chars[i].properties.isAlphabetic || chars[i] == "_" || ("0"..."9").contains(chars[i]) { i += 1 }
                let word = String(String.UnicodeScalarView(chars[start..<i]))
                // Raw strings: r'…' / r"…".
                if (word == "r" || word == "R"), i < chars.count, chars[i] == "'" || chars[i] == "\"" {
                    let quote = chars[i]
                    i += 1
                    var text = String.UnicodeScalarView()
                    while i < chars.count, chars[i] != quote { text.append(chars[i]); i += 1 }
                    guard i < chars.count else { throw CELSyntaxError(offset: start, message: "token recognition error at: '\(word)\(Character(quote))'") }
                    i += 1
                    tokens.append((.string(String(text)), start))
                    continue
                }
                tokens.append((.identifier(word), start))
                continue
            }
            if ("0"..."9").contains(c) {
                while i < chars.count, ("0"..."9").contains(chars[i]) { i += 1 }
                var isDouble = false
                if i + 1 < chars.count, chars[i] == ".", ("0"..."9").contains(chars[i + 1]) {
                    isDouble = true
                    i += 1
                    while i < chars.count, ("0"..."9").contains(chars[i]) { i += 1 }
                }
                let text = String(String.UnicodeScalarView(chars[start..<i]))
                if isDouble {
                    tokens.append((.double(Double(text) ?? 0), start))
                } else if i < chars.count, chars[i] == "u" || chars[i] == "U" {
                    i += 1
                    tokens.append((.uint(UInt64(text) ?? 0), start))
                } else {
                    guard let value = Int64(text) else { throw CELSyntaxError(offset: start, message: "invalid int literal") }
                    tokens.append((.int(value), start))
                }
                continue
            }
            if c == "'" || c == "\"" {
                i += 1
                var text = String.UnicodeScalarView()
                while i < chars.count, chars[i] != c {
                    if chars[i] == "\\", i + 1 < chars.count {
                        i += 1
                        switch chars[i] {
                        case "n": text.append("\n")
                        case "t": text.append("\t")
                        case "r": text.append("\r")
                        default: text.append(chars[i])
                        }
                    } else {
                        text.append(chars[i])
                    }
                    i += 1
                }
                guard i < chars.count else { throw CELSyntaxError(offset: start, message: "token recognition error at: '\(Character(c))'") }
                i += 1
                tokens.append((.string(String(text)), start))
                continue
            }
            let rest = String(String.UnicodeScalarView(chars[i..<min(i + 2, chars.count)]))
            guard let punct = puncts.first(where: { rest.hasPrefix($0) }) else {
                throw CELSyntaxError(offset: i, message: "token recognition error at: '\(Character(c))'")
            }
            i += punct.unicodeScalars.count
            tokens.append((.punct(punct), start))
        }
        tokens.append((.end, chars.count))
        return tokens
    }
}

/// A recursive-descent parser for CEL's grammar (conditional, ||, &&, relations, `in`,
/// arithmetic, unary, member access, calls, list and map literals).
struct CELParser {
    private var tokens: [(token: CELToken, offset: Int)]
    private var position = 0

    static func parse(_ source: String) throws(CELSyntaxError) -> CELExpr {
        var parser = CELParser(tokens: try CELLexer.tokenize(source))
        let expr = try parser.expression()
        guard case .end = parser.current else {
            throw CELSyntaxError(offset: parser.offset, message: "extraneous input \(parser.describeCurrent) expecting <EOF>")
        }
        return expr
    }

    private init(tokens: [(token: CELToken, offset: Int)]) { self.tokens = tokens }

    private var current: CELToken { tokens[position].token }
    private var offset: Int { tokens[position].offset }
    private var describeCurrent: String {
        switch current {
        case .end: "'<EOF>'"
        case .identifier(let name): "'\(name)'"
        case .punct(let punct): "'\(punct)'"
        case .int(let value): "'\(value)'"
        case .uint(let value): "'\(value)u'"
        case .double(let value): "'\(value)'"
        case .string(let text): "'\"\(text)\"'"
        }
    }

    private mutating func accept(_ punct: String) -> Bool {
        if current == .punct(punct) { position += 1; return true }
        return false
    }

    private mutating func expect(_ punct: String) throws(CELSyntaxError) {
        guard accept(punct) else { throw CELSyntaxError(offset: offset, message: "mismatched input \(describeCurrent) expecting '\(punct)'") }
    }

    mutating func expression() throws(CELSyntaxError) -> CELExpr {
        let condition = try binary(level: 0)
        guard accept("?") else { return condition }
        let then = try binary(level: 0)
        try expect(":")
        return .conditional(condition, then, try expression())
    }

    private static let levels: [[String]] = [["||"], ["&&"], ["==", "!=", "<", "<=", ">", ">=", "in"], ["+", "-"], ["*", "/", "%"]]

    private mutating func binary(level: Int) throws(CELSyntaxError) -> CELExpr {
        guard level < Self.levels.count else { return try unary() }
        var lhs = try binary(level: level + 1)
        while true {
            let op: String
            switch current {
            case .punct(let punct) where Self.levels[level].contains(punct): op = punct
            case .identifier("in") where level == 2: op = "in"
            default: return lhs
            }
            position += 1
            lhs = .binary(op, lhs, try binary(level: level + 1))
        }
    }

    private mutating func unary() throws(CELSyntaxError) -> CELExpr {
        if accept("!") { return .unary("!", try unary()) }
        if accept("-") {
            if case .int(let value) = current { position += 1; return try postfix(.literal(.int(-value))) }
            if case .double(let value) = current { position += 1; return try postfix(.literal(.double(-value))) }
            return .unary("-", try unary())
        }
        return try postfix(try primary())
    }

    private mutating func postfix(_ base: CELExpr) throws(CELSyntaxError) -> CELExpr {
        var expr = base
        while true {
            if accept(".") {
                guard case .identifier(let name) = current else {
                    throw CELSyntaxError(offset: offset, message: "mismatched input \(describeCurrent) expecting IDENTIFIER")
                }
                position += 1
                if accept("(") {
                    expr = .call(target: expr, function: name, arguments: try arguments(closing: ")"))
                } else {
                    expr = .select(expr, name)
                }
            } else if accept("[") {
                let index = try expression()
                try expect("]")
                expr = .index(expr, index)
            } else {
                return expr
            }
        }
    }

    private mutating func arguments(closing: String) throws(CELSyntaxError) -> [CELExpr] {
        var result: [CELExpr] = []
        if accept(closing) { return result }
        repeat { result.append(try expression()) } while accept(",")
        try expect(closing)
        return result
    }

    private mutating func primary() throws(CELSyntaxError) -> CELExpr {
        let token = current
        switch token {
        case .int(let value): position += 1; return .literal(.int(value))
        case .uint(let value): position += 1; return .literal(.uint(value))
        case .double(let value): position += 1; return .literal(.double(value))
        case .string(let text): position += 1; return .literal(.string(text))
        case .identifier("true"): position += 1; return .literal(.bool(true))
        case .identifier("false"): position += 1; return .literal(.bool(false))
        case .identifier("null"): position += 1; return .literal(.null)
        case .identifier(let name) where name != "in":
            position += 1
            if accept("(") { return .call(target: nil, function: name, arguments: try arguments(closing: ")")) }
            return .identifier(name)
        case .punct("("):
            position += 1
            let inner = try expression()
            try expect(")")
            return inner
        case .punct("["):
            position += 1
            return .list(try arguments(closing: "]"))
        case .punct("{"):
            position += 1
            var entries: [(CELExpr, CELExpr)] = []
            if !accept("}") {
                repeat {
                    let key = try expression()
                    try expect(":")
                    entries.append((key, try expression()))
                } while accept(",")
                try expect("}")
            }
            return .map(entries)
        default:
            throw CELSyntaxError(
                offset: offset,
                message: "mismatched input \(describeCurrent == "'<EOF>'" ? "'<EOF>'" : describeCurrent) expecting "
                    + "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}")
        }
    }
}
