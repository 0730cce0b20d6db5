import APIServerSemantics
import Foundation
import KubeCore
import Synchronization

/// One served resource with what the handlers need to know about it.
struct ServedResource: Sendable, Hashable {
    var info: APIResourceInfo
    /// Subresource names served for it (`status`, `scale`, `token`, `log`, ...).
    var subresources: Set<String>

    var group: String { info.group }
    var version: String { info.version }
    var kind: String { info.kind }
    var plural: String { info.name }
    var namespaced: Bool { info.namespaced }
    var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    var groupResource: GroupResource { GroupResource(group: group, resource: plural) }
    var hasStatus: Bool { subresources.contains("status") }
}

/// Every resource the server serves: the built-in list given at start plus the
/// resources of CustomResourceDefinitions, which come and go with their CRD objects.
/// Discovery documents are generated from it.
final class ResourceRegistry: Sendable {
    private struct State {
        var builtin: [APIResourceInfo]
        /// CRD name → its resource entries.
        var custom: [String: [APIResourceInfo]] = [:]
        var served: [String: ServedResource] = [:]
        /// group → versions in preference order.
        var groupVersions: [String: [String]] = [:]
        /// CRD name → `group/version/plural` → the schema of that served version.
        var schemas: [String: [String: CustomResourceSchema]] = [:]
        /// group-resource → how its versions convert (custom resources only).
        var conversions: [GroupResource: CustomResourceConversion] = [:]
        /// CRD name → `group/version/plural` → what its CRD says of that version.
        var traits: [String: [String: CustomVersionTraits]] = [:]
    }

    private let state: Mutex<State>

    init(builtin: [APIResourceInfo]) {
        state = Mutex(State(builtin: builtin))
        state.withLock { Self.rebuild(&$0) }
    }

    private static func key(_ group: String, _ version: String, _ plural: String) -> String { "\(group)/\(version)/\(plural)" }

    private static func rebuild(_ state: inout State) {
        var served: [String: ServedResource] = [:]
        var groupVersions: [String: [String]] = [:]
        let all = state.builtin + state.custom.keys.sorted().flatMap { state.custom[$0]! }
        for info in all where !info.isSubresource {
            served[key(info.group, info.version, info.name)] = ServedResource(info: info, subresources: [])
            if !groupVersions[info.group, default: []].contains(info.version) { groupVersions[info.group, default: []].append(info.version) }
        }
        for info in all where info.isSubresource {
            let parts = info.name.split(separator: "/", maxSplits: 1)
            let k = key(info.group, info.version, String(parts[0]))
            served[k]?.subresources.insert(String(parts[1]))
        }
        for (group, versions) in groupVersions {
            groupVersions[group] = versions.sorted(by: versionPriority)
        }
        state.served = served
        state.groupVersions = groupVersions
    }

    /// kube's version priority: GA > beta > alpha, higher numbers first.
    static func versionPriority(_ lhs: String, _ rhs: String) -> Bool {
        func rank(_ version: String) -> (Int, Int, Int) {
            let scanner = version.dropFirst()
            let major = Int(scanner.prefix { $0.isNumber }) ?? 0
            let rest = scanner.drop { $0.isNumber }
            if rest.isEmpty { return (3, major, 0) }
            let stage = rest.hasPrefix("beta") ? 2 : rest.hasPrefix("alpha") ? 1 : 0
            let minor = Int(rest.drop { !$0.isNumber }) ?? 0
            return (stage, major, minor)
        }
        let l = rank(lhs), r = rank(rhs)
        if l.0 != r.0 { return l.0 > r.0 }
        if l.1 != r.1 { return l.1 > r.1 }
        return l.2 > r.2
    }

    func resource(group: String, version: String, plural: String) -> ServedResource? {
        state.withLock { $0.served[Self.key(group, version, plural)] }
    }

    /// The resource for an object's `apiVersion` and `kind`.
    func resource(apiVersion: String, kind: String) -> ServedResource? {
        guard let gv = GroupVersion(apiVersion: apiVersion) else { return nil }
        return state.withLock { state in
            state.served.values.first { $0.group == gv.group && $0.version == gv.version && $0.kind == kind }
        }
    }

    /// Resources of a group version, subresources included (`/apis/<g>/<v>`), or `nil` if not served.
    func resources(group: String, version: String) -> [APIResourceInfo]? {
        state.withLock { state in
            guard state.groupVersions[group]?.contains(version) == true else { return nil }
            let all = state.builtin + state.custom.keys.sorted().flatMap { state.custom[$0]! }
            return all.filter { $0.group == group && $0.version == version }
        }
    }

    /// group → versions, preferred first; `""` is the core group.
    var groupVersions: [String: [String]] { state.withLock { $0.groupVersions } }

    /// The builtin groups in first-seen order, then custom groups sorted.
    var groupOrder: [String] {
        state.withLock { state in
            var order: [String] = []
            for info in state.builtin where !order.contains(info.group) { order.append(info.group) }
            for group in state.groupVersions.keys.sorted() where !order.contains(group) { order.append(group) }
            return order
        }
    }

    /// Serves (or stops serving, with `nil`) the resources of one CRD, with the schemas of
    /// its versions keyed by version.
    func setCustomResources(
        crdName: String, _ infos: [APIResourceInfo]?, schemas: [String: CustomResourceSchema] = [:], conversion: CustomResourceConversion? = nil,
        traits: [String: CustomVersionTraits] = [:]
    ) {
        state.withLock { state in
            var byVersion: [String: CustomVersionTraits] = [:]
            for info in infos ?? [] where !info.isSubresource {
                if let found = traits[info.version] { byVersion[Self.key(info.group, info.version, info.name)] = found }
            }
            state.traits[crdName] = infos == nil ? nil : byVersion
            state.custom[crdName] = infos
            state.conversions = state.conversions.filter { $0.value.crdName != crdName }
            if let conversion, infos != nil { state.conversions[conversion.groupResource] = conversion }
            var byResource: [String: CustomResourceSchema] = [:]
            for info in infos ?? [] where !info.isSubresource {
                if let schema = schemas[info.version] { byResource[Self.key(info.group, info.version, info.name)] = schema }
            }
            state.schemas[crdName] = infos == nil ? nil : byResource
            Self.rebuild(&state)
        }
    }

    /// Whether the resource is served for a CustomResourceDefinition.
    func isCustom(_ resource: ServedResource) -> Bool {
        state.withLock { state in
            state.custom.values.contains { infos in
                infos.contains { $0.group == resource.group && $0.version == resource.version && $0.name == resource.plural }
            }
        }
    }

    /// The schema kube-apiserver enforces for a custom resource version (`nil` for built-in
    /// resources and versions without a schema).
    func customSchema(_ resource: ServedResource) -> CustomResourceSchema? {
        let key = Self.key(resource.group, resource.version, resource.plural)
        return state.withLock { state in
            for schemas in state.schemas.values { if let schema = schemas[key] { return schema } }
            return nil
        }
    }

    /// The deprecation warning and selectable fields of a custom resource version (`nil` for built-in resources).
    func customTraits(_ resource: ServedResource) -> CustomVersionTraits? {
        let key = Self.key(resource.group, resource.version, resource.plural)
        return state.withLock { state in
            for traits in state.traits.values { if let found = traits[key] { return found } }
            return nil
        }
    }

    /// How the versions of a custom resource convert (`nil` for built-in resources).
    func conversion(_ resource: GroupResource) -> CustomResourceConversion? {
        state.withLock { $0.conversions[resource] }
    }
}

/// What a CRD says of one served version beyond its schema.
struct CustomVersionTraits: Sendable, Hashable {
    /// The `Warning` every request to a `deprecated` version gets (`nil`: not deprecated).
    var deprecationWarning: String?
    /// The field labels of `selectableFields` (`spec.size` for `.spec.size`).
    var selectableFields: Set<String> = []
    /// `subresources.scale.labelSelectorPath` (`.status.selector`).
    var labelSelectorPath: String?
    var specReplicasPath: String?
    var statusReplicasPath: String?
}
