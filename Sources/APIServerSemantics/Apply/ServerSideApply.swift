import Foundation
import KubeCore

/// Server-side apply (`application/apply-patch+yaml`, `fieldManager`, `force`) and the
/// `metadata.managedFields` bookkeeping of ordinary writes, on `JSONValue` objects.
///
/// Implemented, as kube-apiserver (structured-merge-diff) does it:
/// - Field sets in `FieldsV1` form (`f:` members, `k:{…}` associative-list items with
///   `".": {}`, `v:` set items); entries with `manager`, `operation` (`Apply`/`Update`),
///   `apiVersion`, `time`, `fieldsType: FieldsV1`, `subresource`; entries sorted as kube sorts
///   them; entries left with no fields are dropped.
/// - List semantics from `x-kubernetes-list-type`/`-list-map-keys` (`atomic`, `set`, `map`),
///   falling back to the strategic merge strategy (`merge` + merge key → associative,
///   `merge` on scalars → set); untyped lists and unknown fields (custom resources) are atomic;
///   objects and maps are granular (each member its own field).
/// - The applied configuration merges into the live object: objects member by member,
///   associative lists item by item and sets as a union (live items in live order, then new
///   items in applied order, as structured-merge-diff's merging walker does), atomic lists and
///   scalars replaced.
/// - Conflicts: a field the configuration sets to a value different from the live one while
///   another manager (any `Apply` or `Update` entry other than this manager's `Apply`
///   entry) owns it → ``ApplyError/conflict`` with kube's 409 message and
///   `FieldManagerConflict` causes. With `force`, the other managers lose those fields.
///   Setting a field to the value it already has makes the ownership shared (no conflict).
/// - An apply that leaves the object as it was records no new `time` for its manager.
/// - Fields this manager applied before and omits now are removed from the object, unless
///   another manager (or the new configuration) still owns them or something under them.
/// - Applying to an existing object that has no `managedFields` first attributes all its
///   fields to an `Update` manager `before-first-apply`, as kube does.
/// - Ordinary writes (``recordUpdate(old:new:fieldManager:subresource:time:schema:)``):
///   the writer's `Update` entry gains the fields it added or changed, other managers lose
///   them; removed fields leave every entry; a client that sends changed `managedFields`
///   has them honoured, `[{}]` clears them, `[]` keeps the old ones. A create is compared
///   with the zero value of the type (``FieldSchema/inZeroValue``): added nodes are owned
///   themselves (`"."`), nodes a zero object has are not.
/// - `x-kubernetes-map-type: atomic` objects and maps (``FieldSchema/atomic``) are one field.
/// - Never tracked: `apiVersion`, `kind`, `metadata.name/namespace/uid/resourceVersion/
///   generation/creationTimestamp/selfLink/managedFields` (kube's strip set).
///
/// Simplified:
/// - kube folds `Update` entries beyond ten into an `ancient-changes` entry; not done here.
/// - A `null` in an applied configuration means "not set" (it neither sets nor owns the field).
/// - Manager identity is (manager, operation, subresource); kube also keys `Update` entries by
///   `apiVersion`. No version conversion: field sets are compared as written.
/// - Resetting `status` on main-resource writes (and `spec` on `/status`) is the caller's job:
///   strip those from the configuration before calling.
public enum ServerSideApply {
    /// The longest `fieldManager` kube-apiserver accepts.
    public static let maxFieldManagerLength = 128

    /// Applies `applied` (the configuration, an object with `apiVersion` and `kind`) for
    /// `fieldManager` onto `live` (`nil` on create) and returns the new object with updated
    /// `metadata.managedFields`. Server-owned metadata (`resourceVersion`, `uid`, ...) is
    /// left as in `live`; the caller sets it.
    ///
    /// - Throws: ``ApplyError/conflict`` (409) unless `force`;
    ///   ``ApplyError/missingFieldManager`` (422); ``ApplyError/badApplyConfiguration`` (400).
    public static func apply(
        live: JSONValue?, applied: JSONValue, fieldManager: String, force: Bool, subresource: String? = nil,
        time: Date, schema: PatchSchema
    ) throws(ApplyError) -> JSONValue {
        try validate(fieldManager: fieldManager)
        guard case .object = applied else {
            throw .badApplyConfiguration("the apply configuration must be a JSON or YAML object")
        }
        guard let apiVersion = applied["apiVersion"]?.stringValue, let kind = applied["kind"]?.stringValue,
            let gvk = GroupVersionKind(apiVersion: apiVersion, kind: kind)
        else {
            throw .badApplyConfiguration("apiVersion and kind must be set in the apply configuration")
        }
        if let managed = applied["metadata"]?["managedFields"], managed != .null {
            throw .badApplyConfiguration("metadata.managedFields must be nil")
        }
        let context = SchemaContext.root(of: gvk, in: schema)
        let fields = ObjectFields(schema: schema)
        let subresource = (subresource?.isEmpty ?? true) ? nil : subresource
        let now = Time(time).description
        let newSet = fields.fieldSet(of: applied, context: context)

        var entries = ManagedEntry.parseAll(live?["metadata"]?["managedFields"])
        if let live, entries.isEmpty {
            let existing = fields.fieldSet(of: live, context: context)
            if !existing.isEmpty {
                entries.append(ManagedEntry(
                    manager: "before-first-apply", operation: "Update", apiVersion: live["apiVersion"]?.stringValue,
                    time: now, subresource: nil, fields: existing))
            }
        }
        let selfIndex = entries.firstIndex { $0.isSameManager(fieldManager, "Apply", subresource) }
        let previous = selfIndex.map { entries[$0].fields } ?? FieldSet()

        let newPrefixes = newSet.properPrefixes
        if let live {
            var conflicts: [(index: Int, path: FieldPath)] = []
            for path in newSet.paths where !newPrefixes.contains(path) {
                guard changes(path, live: live, applied: applied, fields: fields) else { continue }
                for (index, entry) in entries.enumerated() where index != selfIndex && entry.fields.contains(path) {
                    conflicts.append((index, path))
                }
            }
            if !conflicts.isEmpty {
                if !force {
                    let list = conflicts.map { ApplyConflict(manager: entries[$0.index].display, field: display($0.path)) }
                    throw .conflict(list.sorted { ($0.manager, $0.field) < ($1.manager, $1.field) })
                }
                for index in Set(conflicts.map(\.index)) {
                    entries[index].fields.removeSubtrees(Set(conflicts.filter { $0.index == index }.map(\.path)))
                }
            }
        }

        var result = fields.merge(live, applied, nil, context: context)
        var stillOwned = newSet
        for (index, entry) in entries.enumerated() where index != selfIndex { stillOwned = stillOwned.union(entry.fields) }
        let stillOwnedPrefixes = stillOwned.properPrefixes
        // Parents first: removing an item removes its members. Key fields of an item that
        // stays are never removed, or the item would lose its identity.
        for path in previous.subtracting(newSet).paths.sorted(by: { $0.count < $1.count })
        where !stillOwned.contains(path) && !stillOwnedPrefixes.contains(path) && !isKeyField(path) {
            fields.remove(path, from: &result)
        }

        // kube's managedFieldsUpdater stamps the time only when the apply changed the object;
        // a no-op apply keeps the manager's earlier time (a new manager gets none), which also
        // moves it to the front when kube sorts the entries (recorded in 071, 074).
        let unchanged = live.map { jsonEqual(result, $0) } ?? false
        let time = unchanged ? selfIndex.flatMap { entries[$0].time } : now
        let entry = ManagedEntry(
            manager: fieldManager, operation: "Apply", apiVersion: apiVersion, time: time, subresource: subresource,
            fields: newSet)
        if let selfIndex { entries[selfIndex] = entry } else { entries.append(entry) }
        entries.removeAll { $0.fields.isEmpty }
        return result.withManagedFields(entries)
    }

    /// Records an ordinary write (create, update, JSON/merge/strategic patch) by
    /// `fieldManager` in `new`'s `metadata.managedFields` and returns the updated `new`.
    /// `old` is the object before the write (`nil` on create).
    public static func recordUpdate(
        old: JSONValue?, new: JSONValue, fieldManager: String, subresource: String? = nil, time: Date,
        schema: PatchSchema
    ) -> JSONValue {
        let gvk = new["apiVersion"]?.stringValue.flatMap { apiVersion in
            new["kind"]?.stringValue.flatMap { GroupVersionKind(apiVersion: apiVersion, kind: $0) }
        }
        let context = SchemaContext.root(of: gvk, in: schema)
        let fields = ObjectFields(schema: schema)
        let subresource = (subresource?.isEmpty ?? true) ? nil : subresource

        let oldManaged = old?["metadata"]?["managedFields"]
        let sentManaged = new["metadata"]?["managedFields"]
        var entries: [ManagedEntry]
        if let sentManaged, sentManaged != .null, sentManaged != oldManaged, sentManaged != .array([]) {
            if sentManaged == .array([.object([:])]) { return new.withManagedFields([]) }
            entries = ManagedEntry.parseAll(sentManaged)
        } else {
            entries = ManagedEntry.parseAll(oldManaged)
        }

        let newSet = fields.fieldSet(of: new, context: context, includingMaps: true)
        // A create compares with the zero value of the type, as kube's field manager does.
        let oldSet = old.map { fields.fieldSet(of: $0, context: context, includingMaps: true) }
            ?? fields.zeroValueSet(of: newSet, in: new, context: context)
        var changed = FieldSet()
        let newPrefixes = newSet.properPrefixes
        for path in newSet.paths {
            if !oldSet.contains(path) {
                changed.paths.insert(path)
            } else if !newPrefixes.contains(path), let old,
                !jsonEqualOrNil(fields.value(at: path, in: old), fields.value(at: path, in: new))
            {
                changed.paths.insert(path)
            }
        }
        let removed = oldSet.subtracting(newSet)

        let selfIndex = entries.firstIndex { $0.isSameManager(fieldManager, "Update", subresource) }
        for index in entries.indices {
            entries[index].fields = entries[index].fields.subtracting(changed)
            entries[index].fields.removeSubtrees(removed.paths)
        }
        if !changed.isEmpty || selfIndex != nil {
            var entry = selfIndex.map { entries[$0] } ?? ManagedEntry(
                manager: fieldManager, operation: "Update", apiVersion: nil, time: nil, subresource: subresource,
                fields: FieldSet())
            entry.fields = entry.fields.union(changed)
            if !changed.isEmpty {
                entry.apiVersion = new["apiVersion"]?.stringValue
                entry.time = Time(time).description
            }
            if let selfIndex { entries[selfIndex] = entry } else { entries.append(entry) }
        }
        entries.removeAll { $0.fields.isEmpty }
        return new.withManagedFields(entries)
    }

    /// The field manager kube-apiserver uses when a write names none: the user agent up to
    /// its first `/`, printable characters only, at most 128 bytes (`kubectl/v1.30.0 (…)` →
    /// `kubectl`).
    public static func defaultFieldManager(userAgent: String?) -> String {
        let prefix = (userAgent ?? "").split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var result = ""
        for scalar in prefix.unicodeScalars where scalar == " " || scalar.properties.generalCategory.isPrintable {
            if result.utf8.count + String(scalar).utf8.count > maxFieldManagerLength { break }
            result.unicodeScalars.append(scalar)
        }
        return result
    }

    /// Checks `fieldManager` for an apply request.
    public static func validate(fieldManager: String) throws(ApplyError) {
        if fieldManager.isEmpty {
            throw .missingFieldManager(
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
        }
        if fieldManager.utf8.count > maxFieldManagerLength {
            throw .missingFieldManager(
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than \(maxFieldManagerLength) bytes")
        }
    }

    private static func changes(_ path: FieldPath, live: JSONValue, applied: JSONValue, fields: ObjectFields) -> Bool {
        let liveValue = fields.value(at: path, in: live)
        switch path.last {
        case .key?, .value?:
            return liveValue == nil
        default:
            break
        }
        guard let liveValue else { return true }
        let appliedValue = fields.value(at: path, in: applied) ?? .null
        if case .object(let members) = appliedValue, members.isEmpty, case .object = liveValue { return false }
        return !jsonEqual(liveValue, appliedValue)
    }

    private static func isKeyField(_ path: FieldPath) -> Bool {
        guard path.count >= 2, case .field(let name) = path[path.count - 1], case .key(let keys) = path[path.count - 2]
        else { return false }
        return keys[name] != nil
    }

    private static func jsonEqualOrNil(_ lhs: JSONValue?, _ rhs: JSONValue?) -> Bool {
        switch (lhs, rhs) {
        case (nil, nil): true
        case (let a?, let b?): jsonEqual(a, b)
        default: false
        }
    }
}

extension Unicode.GeneralCategory {
    /// Go's `unicode.IsPrint` (with the ASCII space checked by the caller): letters, marks,
    /// numbers, punctuation and symbols.
    var isPrintable: Bool {
        switch self {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
            .spaceSeparator:
            false
        default: true
        }
    }
}
