import Foundation

/// A JSON value that keeps what a recording needs and `JSONValue` drops: the order of
/// object members (kube-apiserver reports unknown fields and builds some messages in
/// document order, so a replayed body is sent with its keys in the recorded order) and
/// the text of numbers (sent verbatim).
indirect enum ReplayJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([ReplayJSON])
    case object([(key: String, value: ReplayJSON)])

    static func == (lhs: ReplayJSON, rhs: ReplayJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): Self.sameNumber(a, b)
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            a.count == b.count && a.allSatisfy { member in b.contains { $0.key == member.key && $0.value == member.value } }
        default: false
        }
    }

    func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let value): hasher.combine(value)
        case .number(let value): hasher.combine(Double(value) ?? 0)
        case .string(let value): hasher.combine(value)
        case .array(let items): hasher.combine(items)
        case .object(let members): hasher.combine(members.count)
        }
    }

    /// Two number texts denote the same value (`1`, `1.0` and `1e0` do).
    static func sameNumber(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        if let x = Int64(a), let y = Int64(b) { return x == y }
        guard let x = Double(a), let y = Double(b) else { return false }
        return x == y
    }

    subscript(key: String) -> ReplayJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    subscript(index: Int) -> ReplayJSON? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var int: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var array: [ReplayJSON]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var members: [(key: String, value: ReplayJSON)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// What kind of value this is, for mismatch reports.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Replaces `old` with `new` in every string and object key.
    func replacing(_ old: String, with new: String) -> ReplayJSON {
        switch self {
        case .string(let text): .string(text.replacingOccurrences(of: old, with: new))
        case .array(let items): .array(items.map { $0.replacing(old, with: new) })
        case .object(let members):
            .object(members.map { (key: $0.key.replacingOccurrences(of: old, with: new), value: $0.value.replacing(old, with: new)) })
        default: self
        }
    }
}

// MARK: - JSON pointers (RFC 6901)

extension ReplayJSON {
    static func pointerTokens(_ pointer: String) -> [String] {
        guard pointer.hasPrefix("/") else { return pointer.isEmpty ? [] : [pointer] }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    /// The value at `pointer`, or `nil`.
    func value(at pointer: String) -> ReplayJSON? {
        var current: ReplayJSON? = self
        for token in Self.pointerTokens(pointer) {
            guard let value = current else { return nil }
            switch value {
            case .object: current = value[token]
            case .array: current = Int(token).flatMap { value[$0] }
            default: return nil
            }
        }
        return current
    }

    /// Sets the value at `pointer` (creating object members on the way); `false` when the path cannot exist.
    mutating func set(_ newValue: ReplayJSON, at pointer: String) -> Bool {
        set(newValue, tokens: Self.pointerTokens(pointer)[...])
    }

    private mutating func set(_ newValue: ReplayJSON, tokens: ArraySlice<String>) -> Bool {
        guard let token = tokens.first else {
            self = newValue
            return true
        }
        switch self {
        case .object(var members):
            var child = members.first { $0.key == token }?.value ?? .object([])
            guard child.set(newValue, tokens: tokens.dropFirst()) else { return false }
            if let index = members.firstIndex(where: { $0.key == token }) {
                members[index].value = child
            } else {
                members.append((key: token, value: child))
            }
            self = .object(members)
            return true
        case .array(var items):
            guard let index = Int(token), items.indices.contains(index) else { return false }
            guard items[index].set(newValue, tokens: tokens.dropFirst()) else { return false }
            self = .array(items)
            return true
        case .null:
            self = .object([])
            return set(newValue, tokens: tokens)
        default:
            return false
        }
    }
}
