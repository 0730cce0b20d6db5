import APIServerSemantics
import Foundation
import KubeCore
import KubeModels

/// The update rules of kube's `ValidatePodUpdate` and `ValidateJobUpdate`: what a write may
/// change in a Pod's spec, and a Job's immutable selector and template.
extension KindValidation {
    static let podUpdatableFields =
        "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

    /// `ValidatePodUpdate`: a Pod's spec is immutable but for its images, a lower
    /// `activeDeadlineSeconds`, added tolerations, removed scheduling gates and a grace period
    /// of 1 after a negative one. Anything else is one `Forbidden` on `spec` with a diff of the
    /// spec (kube diffs its internal Go structs; this diff is of the v1 JSON, keys sorted).
    static func podUpdate(old: JSONValue, new: JSONValue) -> [Cause] {
        let oldSpec = old["spec"] ?? [:]
        let newSpec = new["spec"] ?? [:]
        var errors: [Cause] = []
        for key in ["containers", "initContainers"] {
            let oldContainers = oldSpec[key]?.arrayValue ?? []
            let newContainers = newSpec[key]?.arrayValue ?? []
            if oldContainers.count != newContainers.count {
                return errors + [Cause(.forbidden, field: "spec.\(key)", detail: "pod updates may not add or remove containers")]
            }
            for (index, container) in newContainers.enumerated() where (container["image"]?.stringValue ?? "").isEmpty {
                errors.append(Cause(.required, field: "spec.\(key)[\(index)].image"))
            }
        }
        errors += activeDeadlineUpdate(old: oldSpec["activeDeadlineSeconds"], new: newSpec["activeDeadlineSeconds"])
        errors += tolerationsUpdate(old: oldSpec["tolerations"]?.arrayValue ?? [], new: newSpec["tolerations"]?.arrayValue ?? [])
        let oldGates = Set((oldSpec["schedulingGates"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        for gate in newSpec["schedulingGates"]?.arrayValue ?? [] {
            if let name = gate["name"]?.stringValue, !oldGates.contains(name) {
                errors.append(Cause(.forbidden, field: "spec.schedulingGates", detail: "only deletion is allowed, but found new scheduling gate '\(name)'"))
            }
        }
        let oldComparable = semantic(oldSpec)
        guard semantic(newSpec) != oldComparable else { return errors }
        var munged = newSpec
        for key in ["containers", "initContainers"] {
            guard var containers = munged[key]?.arrayValue else { continue }
            let oldContainers = oldSpec[key]?.arrayValue ?? []
            for index in containers.indices { containers[index]["image"] = oldContainers[index]["image"] }
            munged[key] = .array(containers)
        }
        munged["activeDeadlineSeconds"] = oldSpec["activeDeadlineSeconds"]
        if !(oldSpec["schedulingGates"]?.arrayValue ?? []).isEmpty {
            // A gated pod may gain node selector entries and node affinity (kube lets only
            // additions through; any node affinity change is let through here).
            let oldSelector = oldSpec["nodeSelector"]?.objectValue ?? [:]
            let newSelector = newSpec["nodeSelector"]?.objectValue ?? [:]
            if oldSelector.allSatisfy({ newSelector[$0.key] == $0.value }) {
                munged["nodeSelector"] = oldSpec["nodeSelector"]
            } else {
                errors.append(Cause(.invalid, field: "spec.nodeSelector", value: newSpec["nodeSelector"] ?? .null,
                                    detail: "only additions to spec.nodeSelector are allowed (no mutations or deletions)"))
            }
            if munged["affinity"] != nil || oldSpec["affinity"] != nil {
                munged["affinity"]?["nodeAffinity"] = nil
                var oldAffinity = oldSpec["affinity"] ?? [:]
                oldAffinity["nodeAffinity"] = nil
                if semantic(munged["affinity"] ?? [:]) == semantic(oldAffinity) { munged["affinity"] = oldSpec["affinity"] }
            }
        }
        munged["schedulingGates"] = oldSpec["schedulingGates"]
        munged["tolerations"] = oldSpec["tolerations"]
        if let oldGrace = oldSpec["terminationGracePeriodSeconds"]?.intValue, oldGrace < 0, munged["terminationGracePeriodSeconds"]?.intValue == 1 {
            munged["terminationGracePeriodSeconds"] = oldSpec["terminationGracePeriodSeconds"]
        }
        if semantic(munged) != oldComparable {
            let diff = UnifiedDiff.lines(old: PrettyJSON.lines(semantic(oldSpec)), new: PrettyJSON.lines(semantic(munged)))
            errors.append(Cause(.forbidden, field: "spec", detail: "pod updates may not change fields other than \(podUpdatableFields)\n\(diff)"))
        }
        return errors
    }

    private static func activeDeadlineUpdate(old: JSONValue?, new: JSONValue?) -> [Cause] {
        let field = "spec.activeDeadlineSeconds"
        guard let new, new != .null else {
            guard let old, old != .null else { return [] }
            return [Cause(.invalid, field: field, value: .null, detail: "must not update from a positive integer to nil value")]
        }
        let value = new.intValue ?? -1
        if value < 0 || value > Int(Int32.max) {
            return [Cause(.invalid, field: field, value: new, detail: "must be between 0 and 2147483647, inclusive")]
        }
        if let previous = old?.intValue, value > previous {
            return [Cause(.invalid, field: field, value: new, detail: "must be less than or equal to previous value")]
        }
        return []
    }

    /// `validateOnlyAddedTolerations`: every old toleration is still there (its `tolerationSeconds` may change).
    private static func tolerationsUpdate(old: [JSONValue], new: [JSONValue]) -> [Cause] {
        for toleration in old {
            let kept = new.contains { candidate in
                var expected = semantic(toleration)
                expected["tolerationSeconds"] = semantic(candidate)["tolerationSeconds"]
                return semantic(expected) == semantic(candidate)
            }
            if !kept {
                return [Cause(.forbidden, field: "spec.tolerations", detail: "existing toleration can not be modified except its tolerationSeconds")]
            }
        }
        return []
    }

    /// `ValidateJob` and `ValidateJobUpdate` for an update, in kube's order: the generated
    /// selector, the spec (kube checks it twice, so its errors appear twice), then the
    /// immutable fields. A Job that is suspended and has not started may change its
    /// template's scheduling directives, labels and annotations.
    static func jobUpdate(old: JSONValue, new: JSONValue) -> [Cause] {
        let spec = new["spec"] ?? [:]
        let oldSpec = old["spec"] ?? [:]
        var errors = generatedSelector(new)
        let specErrors = jobSpecSelector(spec)
        errors += specErrors + specErrors
        if semantic(spec["completions"] ?? .null) != semantic(oldSpec["completions"] ?? .null) {
            // An Indexed Job is elastic: completions may change with parallelism set to the same value.
            let value = spec["completions"] ?? .null
            if spec["completionMode"]?.stringValue == "Indexed" {
                if value.intValue == nil || value != spec["parallelism"] {
                    errors.append(Cause(.invalid, field: "spec.completions", value: value, detail: "can only be modified in tandem with spec.parallelism"))
                }
            } else {
                errors.append(Cause(.invalid, field: "spec.completions", value: value, detail: "field is immutable"))
            }
        }
        if semantic(spec["selector"] ?? .null) != semantic(oldSpec["selector"] ?? .null) {
            let value = spec["selector"] ?? .null
            errors.append(Cause(.invalid, field: "spec.selector", value: value, detail: "field is immutable", renderedValue: goLabelSelector(value)))
        }
        var oldTemplate = oldSpec["template"] ?? [:]
        let template = spec["template"] ?? [:]
        if oldSpec["suspend"]?.boolValue == true, old["status"]?["startTime"] == nil || old["status"]?["startTime"] == .null {
            for key in ["nodeSelector", "tolerations", "schedulingGates"] { oldTemplate["spec"]?[key] = template["spec"]?[key] }
            // Of the affinity only the node affinity may change.
            let newNodeAffinity = template["spec"]?["affinity"]?["nodeAffinity"]
            if oldTemplate["spec"]?["affinity"] == nil || oldTemplate["spec"]?["affinity"] == .null {
                if let newNodeAffinity { oldTemplate["spec"]?["affinity"] = ["nodeAffinity": newNodeAffinity] }
            } else {
                oldTemplate["spec"]?["affinity"]?["nodeAffinity"] = newNodeAffinity
            }
            oldTemplate["metadata"]?["labels"] = template["metadata"]?["labels"]
            oldTemplate["metadata"]?["annotations"] = template["metadata"]?["annotations"]
        }
        if semantic(template) != semantic(oldTemplate) {
            errors.append(Cause(.invalid, field: "spec.template", value: template, detail: "field is immutable"))
        }
        for key in ["completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"]
        where semantic(spec[key] ?? .null) != semantic(oldSpec[key] ?? .null) {
            errors.append(Cause(.invalid, field: "spec.\(key)", value: spec[key] ?? .null, detail: "field is immutable"))
        }
        return errors
    }

    /// `validateGeneratedSelector`: without `manualSelector: true` the template carries the
    /// Job's uid and name labels, and the selector selects exactly what they label.
    private static func generatedSelector(_ job: JSONValue) -> [Cause] {
        guard job["spec"]?["manualSelector"]?.boolValue != true, let selector = job["spec"]?["selector"], selector != .null else { return [] }
        let uid = job["metadata"]?["uid"]?.stringValue ?? ""
        let name = job["metadata"]?["name"]?.stringValue ?? ""
        let labels = job["spec"]?["template"]?["metadata"]?["labels"] ?? .null
        let labelMap = (labels.objectValue ?? [:]).compactMapValues(\.stringValue)
        var errors: [Cause] = []
        let expected = [
            ("controller-uid", uid), ("job-name", name), ("batch.kubernetes.io/controller-uid", uid), ("batch.kubernetes.io/job-name", name),
        ]
        for (key, value) in expected where labelMap[key] != value {
            errors.append(Cause(.invalid, field: "spec.template.metadata.labels[\(key)]", value: labels, detail: "must be '\(value)'"))
        }
        let generated = ["batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name]
        if let parsed = RBACAuthorizer.labelSelector(selector), !parsed.matches(generated) {
            errors.append(Cause(.invalid, field: "spec.selector", value: selector, detail: "`selector` not auto-generated",
                                renderedValue: goLabelSelector(selector)))
        }
        return errors
    }

    /// `ValidateJobSpec`'s selector check: the selector selects the template's labels.
    private static func jobSpecSelector(_ spec: JSONValue) -> [Cause] {
        guard let selector = spec["selector"], selector != .null, let parsed = RBACAuthorizer.labelSelector(selector) else { return [] }
        let labels = spec["template"]?["metadata"]?["labels"] ?? .null
        guard !parsed.matches((labels.objectValue ?? [:]).compactMapValues(\.stringValue)) else { return [] }
        return [Cause(.invalid, field: "spec.template.metadata.labels", value: labels, detail: "`selector` does not match template `labels`")]
    }

    /// The value as Go's semantic equality of the decoded structs sees it: `null`, `false`, `0`,
    /// `""`, empty lists and empty maps are the same as absent (Go's zero values; this also
    /// equates a few pointer fields kube would tell apart), and quantities compare by value
    /// (`0.5` and `500m`), since a client that re-encodes them writes their canonical form.
    static func semantic(_ value: JSONValue, key: String? = nil) -> JSONValue {
        switch value {
        case .object(let members):
            var kept: [String: JSONValue] = [:]
            for (name, member) in members {
                var member = semantic(member, key: name)
                if quantityMaps.contains(name), case .object(let quantities) = member {
                    member = .object(quantities.mapValues { quantity in
                        quantity.stringValue.flatMap { try? Quantity($0).canonical }.map(JSONValue.string) ?? quantity
                    })
                }
                switch member {
                case .null, .bool(false), .int(0), .string(""): continue
                case .double(let number) where number == 0: continue
                case .array(let items) where items.isEmpty: continue
                case .object(let entries) where entries.isEmpty: continue
                default: kept[name] = member
                }
            }
            return .object(kept)
        case .array(let items):
            return .array(items.map { semantic($0) })
        default:
            return value
        }
    }

    /// Members whose values are quantities (`resources.requests`, a pod's `overhead`, ...).
    static let quantityMaps: Set<String> = ["requests", "limits", "overhead", "capacity", "allocatable", "hard", "used"]
}

/// JSON written as Go's `json.MarshalIndent(v, "", " ")` lays it out: one space per level,
/// `"key": value`, keys sorted (as Go writes maps).
enum PrettyJSON {
    static func lines(_ value: JSONValue) -> [String] {
        var lines: [String] = []
        write(value, indent: 0, prefix: "", suffix: "", into: &lines)
        return lines
    }

    private static func write(_ value: JSONValue, indent: Int, prefix: String, suffix: String, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .object(let members) where !members.isEmpty:
            lines.append(pad + prefix + "{")
            let keys = members.keys.sorted()
            for (index, key) in keys.enumerated() {
                write(members[key]!, indent: indent + 1, prefix: JSONWriter.string(.string(key)) + ": ", suffix: index == keys.count - 1 ? "" : ",", into: &lines)
            }
            lines.append(pad + "}" + suffix)
        case .array(let items) where !items.isEmpty:
            lines.append(pad + prefix + "[")
            for (index, item) in items.enumerated() {
                write(item, indent: indent + 1, prefix: "", suffix: index == items.count - 1 ? "" : ",", into: &lines)
            }
            lines.append(pad + "]" + suffix)
        default:
            lines.append(pad + prefix + JSONWriter.string(value) + suffix)
        }
    }
}

/// A unified diff of two lists of lines with three lines of context (`@@ -a,b +c,d @@`,
/// then ` `, `-` and `+` lines), as kube's validation messages show one.
enum UnifiedDiff {
    private enum Edit: Equatable {
        case same(String), removed(String), added(String)
    }

    static func lines(old: [String], new: [String], context: Int = 3) -> String {
        let edits = edits(old, new)
        guard edits.contains(where: { if case .same = $0 { false } else { true } }) else { return "" }
        // Positions of changes, grouped into hunks whose context would touch.
        let changed = edits.indices.filter { if case .same = edits[$0] { false } else { true } }
        var hunks: [ClosedRange<Int>] = []
        for index in changed {
            let range = max(0, index - context)...min(edits.count - 1, index + context)
            if let last = hunks.last, range.lowerBound <= last.upperBound + 1 {
                hunks[hunks.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                hunks.append(range)
            }
        }
        var output = ""
        for hunk in hunks {
            // Line numbers (1-based) of the hunk's first line in each side.
            var oldLine = 1, newLine = 1
            for edit in edits[..<hunk.lowerBound] {
                switch edit {
                case .same: oldLine += 1; newLine += 1
                case .removed: oldLine += 1
                case .added: newLine += 1
                }
            }
            var oldCount = 0, newCount = 0, body = ""
            for edit in edits[hunk] {
                switch edit {
                case .same(let line): oldCount += 1; newCount += 1; body += " \(line)\n"
                case .removed(let line): oldCount += 1; body += "-\(line)\n"
                case .added(let line): newCount += 1; body += "+\(line)\n"
                }
            }
            output += "@@ -\(oldLine),\(oldCount) +\(newLine),\(newCount) @@\n" + body
        }
        return output
    }

    /// The edit script: the common head and tail as they are, a longest common subsequence of
    /// the middle (or, past `maxMiddle` lines on a side, all of the middle replaced, so that a
    /// huge spec costs neither quadratic time nor memory).
    private static func edits(_ old: [String], _ new: [String], maxMiddle: Int = 2000) -> [Edit] {
        var head = 0
        while head < old.count, head < new.count, old[head] == new[head] { head += 1 }
        var tail = 0
        while tail < old.count - head, tail < new.count - head, old[old.count - 1 - tail] == new[new.count - 1 - tail] { tail += 1 }
        let oldMiddle = Array(old[head..<(old.count - tail)]), newMiddle = Array(new[head..<(new.count - tail)])
        let middle: [Edit] =
            oldMiddle.count > maxMiddle || newMiddle.count > maxMiddle
            ? oldMiddle.map { .removed($0) } + newMiddle.map { .added($0) } : subsequenceEdits(oldMiddle, newMiddle)
        return old[..<head].map { .same($0) } + middle + old[(old.count - tail)...].map { .same($0) }
    }

    private static func subsequenceEdits(_ old: [String], _ new: [String]) -> [Edit] {
        let n = old.count, m = new.count
        var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i][j] = old[i] == new[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var edits: [Edit] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, old[i] == new[j] {
                edits.append(.same(old[i])); i += 1; j += 1
            } else if i < n, j == m || table[i + 1][j] >= table[i][j + 1] {
                edits.append(.removed(old[i])); i += 1
            } else {
                edits.append(.added(new[j])); j += 1
            }
        }
        return edits
    }
}
