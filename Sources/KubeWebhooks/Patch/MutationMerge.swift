import KubeCore

/// Applies what a handler changed in a typed object to the raw object kube-apiserver sent,
/// so fields the Swift type does not know survive a mutation untouched.
///
/// A handler sees `known` (the received object decoded into its Swift type, re-encoded)
/// and returns `mutated` (its result, encoded). Wherever `known` and `mutated` agree, the
/// received JSON is kept exactly as it came (unknown members, absent defaults, number
/// spellings); where they differ, `mutated` wins, member by member and, for arrays,
/// element by element along the same alignment ``JSONPatchDiff`` uses. The patch is
/// then the difference between `received` and the merge.
enum MutationMerge {
    static func merge(received: JSONValue, known: JSONValue, mutated: JSONValue) -> JSONValue {
        merge(received, known, mutated) ?? .null
    }

    /// `nil` stands for an absent member.
    private static func merge(_ received: JSONValue?, _ known: JSONValue?, _ mutated: JSONValue?) -> JSONValue? {
        if known == mutated { return received }
        guard let mutated else { return nil }
        guard let known, let received else { return mutated }
        switch (received, known, mutated) {
        case (.object(var result), .object(let before), .object(let after)):
            for key in Set(before.keys).union(after.keys) {
                result[key] = merge(result[key], before[key], after[key])
            }
            return .object(result)
        case (.array(let raw), .array(let before), .array(let after)) where raw.count == before.count:
            var result: [JSONValue] = []
            result.reserveCapacity(after.count)
            for step in JSONPatchDiff.align(before, after, pairDifferentNames: false) {
                switch step {
                case .keep(let i, _): result.append(raw[i])
                case .pair(let i, let j): result.append(merge(raw[i], before[i], after[j]) ?? after[j])
                case .delete: break
                case .insert(let j): result.append(after[j])
                }
            }
            return .array(result)
        default:
            return mutated
        }
    }
}
