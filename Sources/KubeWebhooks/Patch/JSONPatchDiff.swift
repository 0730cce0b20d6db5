import Foundation
import KubeCore

/// Computes the RFC 6902 JSON Patch a mutating webhook returns, so handlers never write
/// one by hand (controller-runtime's `PatchResponseFromRaw` does the same in Go).
///
/// The contract, tested by property tests: applying ``operations(from:to:)`` to `from`
/// with any conforming JSON Patch implementation yields exactly `to`. The patch is small:
/// unchanged members produce nothing, changed members are patched where they changed
/// (not replaced wholesale), and arrays are aligned on their longest common subsequence,
/// so inserting one container produces one `add`. Keys are escaped as RFC 6901 requires
/// (`~` → `~0`, `/` → `~1`), array indexes refer to the array as it is when the
/// operation applies.
public enum JSONPatchDiff {
    /// One JSON Patch operation: `add`, `remove` or `replace` (the diff needs no others).
    public struct Operation: Sendable, Hashable, Encodable {
        public var op: String
        public var path: String
        public var value: JSONValue?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(op, forKey: .op)
            try container.encode(path, forKey: .path)
            if let value { try container.encode(value, forKey: .value) }
        }

        private enum CodingKeys: String, CodingKey { case op, path, value }

        /// The operation as a JSON value (`{"op": …, "path": …, "value": …}`).
        public var jsonValue: JSONValue {
            var members: [String: JSONValue] = ["op": .string(op), "path": .string(path)]
            if let value { members["value"] = value }
            return .object(members)
        }
    }

    /// Arrays longer than this (product of the two middle parts, after the common prefix
    /// and suffix are trimmed) are compared position by position instead of by LCS, which
    /// keeps the cost bounded (the patch stays correct, only less small).
    static let alignmentBudget = 250_000

    /// The operations that turn `from` into `to` (empty when they are equal).
    public static func operations(from: JSONValue, to: JSONValue) -> [Operation] {
        var operations: [Operation] = []
        diff(from, to, path: "", into: &operations)
        return operations
    }

    /// The same patch as JSON text (`[]` when nothing changed).
    public static func patch(from: JSONValue, to: JSONValue) -> Data {
        (try? encoder.encode(operations(from: from, to: to))) ?? Data("[]".utf8)
    }

    /// Members in a fixed order (`op`, `path`, `value`), slashes unescaped.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Escapes one reference token of a JSON Pointer (RFC 6901 §3).
    public static func escape(_ token: String) -> String {
        guard token.contains("~") || token.contains("/") else { return token }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    private static func diff(_ from: JSONValue, _ to: JSONValue, path: String, into operations: inout [Operation]) {
        if from == to { return }
        switch (from, to) {
        case (.object(let old), .object(let new)):
            for key in old.keys.sorted() where new[key] == nil {
                operations.append(Operation(op: "remove", path: path + "/" + escape(key)))
            }
            for key in new.keys.sorted() {
                let child = path + "/" + escape(key)
                if let oldValue = old[key] {
                    diff(oldValue, new[key]!, path: child, into: &operations)
                } else {
                    operations.append(Operation(op: "add", path: child, value: new[key]!))
                }
            }
        case (.array(let old), .array(let new)):
            var index = 0
            for step in align(old, new) {
                switch step {
                case .keep:
                    index += 1
                case .pair(let i, let j):
                    diff(old[i], new[j], path: path + "/\(index)", into: &operations)
                    index += 1
                case .delete:
                    operations.append(Operation(op: "remove", path: path + "/\(index)"))
                case .insert(let j):
                    operations.append(Operation(op: "add", path: path + "/\(index)", value: new[j]))
                    index += 1
                }
            }
        default:
            operations.append(Operation(op: "replace", path: path, value: to))
        }
    }

    /// One step of an array alignment, in order: indexes into the old and new arrays.
    enum Step: Equatable {
        /// Equal elements.
        case keep(Int, Int)
        /// An element changed in place (diffed recursively).
        case pair(Int, Int)
        case delete(Int)
        case insert(Int)
    }

    /// Aligns two arrays: common prefix and suffix, then LCS on the middle. Between two
    /// kept elements, objects with the same `name` (the merge key of containers, env,
    /// volumes, ports…) are paired first, so an element changed in place next to an insert
    /// stays itself; the rest is paired by position (a change in place), then the surplus
    /// deleted or inserted. With `pairDifferentNames: false`, two objects whose `name`s
    /// differ are never paired (they are different elements, not one edited).
    static func align(_ old: [JSONValue], _ new: [JSONValue], pairDifferentNames: Bool = true) -> [Step] {
        var prefix = 0
        while prefix < old.count, prefix < new.count, old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix,
            old[old.count - 1 - suffix] == new[new.count - 1 - suffix]
        {
            suffix += 1
        }
        var steps: [Step] = (0..<prefix).map { .keep($0, $0) }
        let oldMiddle = prefix..<(old.count - suffix)
        let newMiddle = prefix..<(new.count - suffix)
        let withinBudget = oldMiddle.count * newMiddle.count <= alignmentBudget
        var matches: [(Int, Int)] = []
        if withinBudget && !oldMiddle.isEmpty && !newMiddle.isEmpty {
            matches = longestCommonSubsequence(old, oldMiddle, new, newMiddle, equal: ==)
        }
        var i = oldMiddle.lowerBound
        var j = newMiddle.lowerBound
        func positional(untilOld: Int, untilNew: Int) {
            while i < untilOld, j < untilNew {
                if !pairDifferentNames, let a = name(old[i]), let b = name(new[j]), a != b { break }
                steps.append(.pair(i, j))
                i += 1
                j += 1
            }
            while i < untilOld {
                steps.append(.delete(i))
                i += 1
            }
            while j < untilNew {
                steps.append(.insert(j))
                j += 1
            }
        }
        func gap(untilOld: Int, untilNew: Int) {
            var named: [(Int, Int)] = []
            if withinBudget && i < untilOld && j < untilNew {
                named = longestCommonSubsequence(old, i..<untilOld, new, j..<untilNew) { a, b in
                    guard let left = name(a) else { return false }
                    return left == name(b)
                }
            }
            for (ni, nj) in named {
                positional(untilOld: ni, untilNew: nj)
                steps.append(.pair(ni, nj))
                i = ni + 1
                j = nj + 1
            }
            positional(untilOld: untilOld, untilNew: untilNew)
        }
        for (mi, mj) in matches {
            gap(untilOld: mi, untilNew: mj)
            steps.append(.keep(mi, mj))
            i = mi + 1
            j = mj + 1
        }
        gap(untilOld: oldMiddle.upperBound, untilNew: newMiddle.upperBound)
        for k in 0..<suffix { steps.append(.keep(old.count - suffix + k, new.count - suffix + k)) }
        return steps
    }

    /// The `name` member of an object element, its identity in most Kubernetes lists.
    private static func name(_ value: JSONValue) -> String? {
        guard case .object(let members) = value, case .string(let name)? = members["name"] else { return nil }
        return name
    }

    private static func longestCommonSubsequence(
        _ old: [JSONValue], _ oldRange: Range<Int>, _ new: [JSONValue], _ newRange: Range<Int>,
        equal: (JSONValue, JSONValue) -> Bool
    ) -> [(Int, Int)] {
        let n = oldRange.count
        let m = newRange.count
        // table[a * (m + 1) + b]: LCS length of old[a...] and new[b...] (suffixes of the middles).
        var table = [Int](repeating: 0, count: (n + 1) * (m + 1))
        for a in stride(from: n - 1, through: 0, by: -1) {
            for b in stride(from: m - 1, through: 0, by: -1) {
                table[a * (m + 1) + b] =
                    equal(old[oldRange.lowerBound + a], new[newRange.lowerBound + b])
                    ? table[(a + 1) * (m + 1) + b + 1] + 1
                    : max(table[(a + 1) * (m + 1) + b], table[a * (m + 1) + b + 1])
            }
        }
        var matches: [(Int, Int)] = []
        var a = 0
        var b = 0
        while a < n, b < m {
            if equal(old[oldRange.lowerBound + a], new[newRange.lowerBound + b]) {
                matches.append((oldRange.lowerBound + a, newRange.lowerBound + b))
                a += 1
                b += 1
            } else if table[(a + 1) * (m + 1) + b] >= table[a * (m + 1) + b + 1] {
                a += 1
            } else {
                b += 1
            }
        }
        return matches
    }
}
