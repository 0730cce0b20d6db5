import APIServerSemantics
import Foundation
import KubeCore
import Testing

@testable import KubeWebhooks

@Suite("JSONPatchDiff", .timeLimit(.minutes(2)))
struct JSONPatchDiffTests {
    /// Applies the computed patch with the independent RFC 6902 implementation kube-apiserver's
    /// semantics use in KubeTestServer.
    func roundTrip(_ from: JSONValue, _ to: JSONValue) throws -> [JSONPatchDiff.Operation] {
        let operations = JSONPatchDiff.operations(from: from, to: to)
        let applied = try JSONPatch.apply(.array(operations.map(\.jsonValue)), to: from)
        #expect(applied == to, "patch \(operations) applied to \(from) gave \(applied), wanted \(to)")
        return operations
    }

    @Test func equalDocumentsGiveAnEmptyPatch() throws {
        let document: JSONValue = ["a": [1, 2, ["b": "c"]], "d": nil]
        #expect(try roundTrip(document, document).isEmpty)
        #expect(JSONPatchDiff.patch(from: document, to: document) == Data("[]".utf8))
    }

    @Test func changedMembersArePatchedWhereTheyChanged() throws {
        let from: JSONValue = ["metadata": ["name": "a", "labels": ["x": "1"]], "spec": ["replicas": 1]]
        let to: JSONValue = ["metadata": ["name": "a", "labels": ["x": "1", "team": "blue"]], "spec": ["replicas": 3]]
        let operations = try roundTrip(from, to)
        #expect(operations == [
            .init(op: "add", path: "/metadata/labels/team", value: "blue"),
            .init(op: "replace", path: "/spec/replicas", value: 3),
        ])
    }

    @Test func keysWithSlashAndTildeAreEscaped() throws {
        let from: JSONValue = ["metadata": ["annotations": ["example.com/a~b": "1", "~1": "x"]]]
        let to: JSONValue = ["metadata": ["annotations": ["example.com/a~b": "2", "a/~0": "y"]]]
        let operations = try roundTrip(from, to)
        #expect(operations.map(\.path).sorted() == [
            "/metadata/annotations/a~1~00", "/metadata/annotations/example.com~1a~0b", "/metadata/annotations/~01",
        ])
        #expect(JSONPatchDiff.escape("a/b~c") == "a~1b~0c")
    }

    @Test func insertingAnArrayElementIsOneAdd() throws {
        let containers: [JSONValue] = (0..<5).map { ["name": .string("c\($0)"), "image": "nginx"] }
        var changed = containers
        changed.insert(["name": "sidecar", "image": "envoy"], at: 0)
        let operations = try roundTrip(["containers": .array(containers)], ["containers": .array(changed)])
        #expect(operations == [.init(op: "add", path: "/containers/0", value: ["name": "sidecar", "image": "envoy"])])
    }

    @Test func changingOneArrayElementPatchesInsideIt() throws {
        let from: JSONValue = ["c": [["name": "a", "image": "x:1"], ["name": "b", "image": "y:1"]]]
        let to: JSONValue = ["c": [["name": "a", "image": "x:1"], ["name": "b", "image": "y:2"]]]
        #expect(try roundTrip(from, to) == [.init(op: "replace", path: "/c/1/image", value: "y:2")])
    }

    @Test func removalsAndInsertsInOneArray() throws {
        _ = try roundTrip([1, 2, 3, 4, 5], [0, 2, 9, 9, 5, 6])
        _ = try roundTrip([1, 2, 3], [])
        _ = try roundTrip([], [1, [2], ["a": 3]])
        _ = try roundTrip(["a": [1, 2]], ["a": ["x": 1]])
        _ = try roundTrip("scalar", ["a": 1])
    }

    @Test func longArraysStayCorrectPastTheAlignmentBudget() throws {
        let from = JSONValue.array((0..<1_000).map { .int($0) })
        let to = JSONValue.array((0..<1_000).map { .int($0 % 7 == 0 ? -$0 : $0) }.reversed())
        _ = try roundTrip(from, to)
    }

    // MARK: property tests

    @Test func propertyApplyingThePatchGivesTheTarget() throws {
        var random = SplitMix64(seed: 0x5EED_1234)
        for iteration in 0..<600 {
            let from = RandomJSON.document(depth: 4, using: &random)
            var to = from
            for _ in 0..<Int.random(in: 1...4, using: &random) { RandomJSON.edit(&to, using: &random) }
            let operations = try roundTrip(from, to)
            if from == to { #expect(operations.isEmpty, "iteration \(iteration)") }
        }
    }

    @Test func propertyTheMergeKeepsUnknownFieldsAndTakesEveryEdit() throws {
        var random = SplitMix64(seed: 0xC0FFEE)
        for iteration in 0..<600 {
            let received = RandomJSON.document(depth: 4, unknownKeys: true, using: &random)
            let known = RandomJSON.strip(received)
            var mutated = known
            let edits = Int.random(in: 0...3, using: &random)
            for _ in 0..<edits { RandomJSON.edit(&mutated, using: &random) }
            let merged = MutationMerge.merge(received: received, known: known, mutated: mutated)
            // What the Swift type sees of the result is exactly what the handler returned…
            #expect(RandomJSON.strip(merged) == mutated, "iteration \(iteration)")
            // …an unchanged object is the received one, unknown fields and all…
            if known == mutated { #expect(merged == received, "iteration \(iteration)") }
            // …and the patch takes the received object there.
            _ = try roundTrip(received, merged)
        }
    }
}

/// A seedable generator, so a failing property test can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random JSON documents and edits. Keys include RFC 6901's special characters and the
/// empty key; keys starting with `x-` stand for fields the Swift type does not know.
enum RandomJSON {
    static let keys = ["a", "b", "name", "a/b", "~", "~1", "~0/x", "", "labels", "0", "-"]
    static let unknown = ["x-extra", "x-a/b", "x-~"]

    static func scalar(using random: inout SplitMix64) -> JSONValue {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: .null
        case 1: .bool(Bool.random(using: &random))
        case 2: .int(Int64.random(in: -5...5, using: &random))
        case 3: .double(Double(Int.random(in: 1...9, using: &random)) + 0.5)
        case 4: .string(keys.randomElement(using: &random)!)
        default: .string("v\(Int.random(in: 0..<4, using: &random))")
        }
    }

    static func document(depth: Int, unknownKeys: Bool = false, using random: inout SplitMix64) -> JSONValue {
        if depth == 0 { return scalar(using: &random) }
        switch Int.random(in: 0..<5, using: &random) {
        case 0, 1:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                members[keys.randomElement(using: &random)!] = document(depth: depth - 1, unknownKeys: unknownKeys, using: &random)
            }
            if unknownKeys && Bool.random(using: &random) {
                members[unknown.randomElement(using: &random)!] = document(depth: depth - 1, using: &random)
            }
            return .object(members)
        case 2, 3:
            return .array((0..<Int.random(in: 0...5, using: &random)).map { _ in
                document(depth: depth - 1, unknownKeys: unknownKeys, using: &random)
            })
        default:
            return scalar(using: &random)
        }
    }

    /// Removes the unknown (`x-`) members, recursively: what a Swift type re-encodes.
    static func strip(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            .object(members.filter { !$0.key.hasPrefix("x-") }.mapValues(strip))
        case .array(let items):
            .array(items.map(strip))
        default:
            value
        }
    }

    /// One random edit somewhere in `value`: replace, add or remove a member, insert or
    /// remove an array element, or descend and edit there.
    static func edit(_ value: inout JSONValue, using random: inout SplitMix64) {
        switch value {
        case .object(var members):
            let choice = Int.random(in: 0..<4, using: &random)
            if choice == 0 || members.isEmpty {
                members[keys.randomElement(using: &random)!] = document(depth: 2, using: &random)
            } else if choice == 1 {
                members.removeValue(forKey: members.keys.randomElement(using: &random)!)
            } else {
                let key = members.keys.randomElement(using: &random)!
                edit(&members[key]!, using: &random)
            }
            value = .object(members)
        case .array(var items):
            let choice = Int.random(in: 0..<4, using: &random)
            if choice == 0 || items.isEmpty {
                items.insert(document(depth: 2, using: &random), at: Int.random(in: 0...items.count, using: &random))
            } else if choice == 1 {
                items.remove(at: Int.random(in: 0..<items.count, using: &random))
            } else {
                let index = Int.random(in: 0..<items.count, using: &random)
                edit(&items[index], using: &random)
            }
            value = .array(items)
        default:
            value = Bool.random(using: &random) ? scalar(using: &random) : document(depth: 2, using: &random)
        }
    }
}
