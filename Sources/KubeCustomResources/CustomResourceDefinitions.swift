import Foundation
import KubeCore
import KubeModels
import KubeYAML

/// CRDs from ``CustomResource`` types, and their YAML for `kubectl apply`.
public enum CustomResourceDefinitions {
    /// One CRD per resource (`group` and `plural`) among `types`: types that declare versions of
    /// the same resource become one CRD with one entry per version, in the order given.
    ///
    /// Throws when the versions of one resource disagree about what kube-apiserver keeps once per
    /// CRD (kind, scope, names), when not exactly one version is the storage version, when a
    /// version is declared twice, or when they name different conversion strategies.
    public static func definitions(for types: [any CustomResource.Type]) throws(CustomResourceDefinitionError) -> [CustomResourceDefinition] {
        var order: [String] = []
        var byName: [String: [any CustomResource.Type]] = [:]
        for type in types {
            let name = type.customResourceDefinitionName
            if byName[name] == nil { order.append(name) }
            byName[name, default: []].append(type)
        }
        var result: [CustomResourceDefinition] = []
        for name in order {
            let versions = byName[name] ?? []
            let first = versions[0]
            for other in versions.dropFirst() {
                if other.kind != first.kind || other.namespaced != first.namespaced
                    || other.customResourceOptions.shortNames != first.customResourceOptions.shortNames
                    || other.customResourceOptions.categories != first.customResourceOptions.categories
                    || other.customResourceOptions.singular != first.customResourceOptions.singular
                {
                    throw CustomResourceDefinitionError(
                        .inconsistentVersions, name,
                        "\(first.version) and \(other.version) must agree on kind, scope, singular, shortNames and categories")
                }
            }
            var seen: Set<String> = []
            for type in versions where !seen.insert(type.version).inserted {
                throw CustomResourceDefinitionError(.duplicateVersion, name, "version \(type.version) is declared twice")
            }
            let storage = versions.filter { $0.customResourceOptions.storage }
            guard storage.count == 1 else {
                throw CustomResourceDefinitionError(
                    .storageVersion, name,
                    "exactly one version must be the storage version (storage: true), found \(storage.count): "
                        + storage.map { $0.version }.joined(separator: ", "))
            }
            let strategies = Set(versions.map { $0.customResourceOptions.conversion }).subtracting([.none])
            guard strategies.count <= 1 else {
                throw CustomResourceDefinitionError(.conversion, name, "the versions name different conversion webhooks")
            }
            result.append(definition(names: first, versions: versions.map { $0.customResourceDefinitionVersion }, conversion: strategies.first ?? .none))
        }
        return result
    }

    static func definition(
        names type: any CustomResource.Type, versions: [APIExtensions.V1.CustomResourceDefinitionVersion], conversion: ConversionStrategy
    ) -> CustomResourceDefinition {
        let options = type.customResourceOptions
        let names = APIExtensions.V1.CustomResourceDefinitionNames(
            categories: options.categories.isEmpty ? nil : options.categories, kind: type.kind, listKind: "\(type.kind)List",
            plural: type.plural, shortNames: options.shortNames.isEmpty ? nil : options.shortNames,
            singular: options.singular ?? type.kind.lowercased())
        return CustomResourceDefinition(
            metadata: ObjectMeta(name: type.customResourceDefinitionName),
            spec: APIExtensions.V1.CustomResourceDefinitionSpec(
                conversion: versions.count > 1 || conversion != .none ? conversion.model : nil, group: type.group, names: names,
                scope: type.namespaced ? "Namespaced" : "Cluster", versions: versions))
    }

    /// The CRDs of `types` as one YAML stream (`---` between documents) for `kubectl apply -f -`.
    public static func yaml(for types: [any CustomResource.Type]) throws(CustomResourceDefinitionError) -> String {
        var documents: [String] = []
        for crd in try definitions(for: types) {
            let json: JSONValue
            do { json = try JSONValue(encoding: crd) } catch {
                throw CustomResourceDefinitionError(.encoding, crd.metadata.name ?? "", "\(error)")
            }
            documents.append(YAMLWriter.string(json, keyOrder: .manifest))
        }
        return documents.joined(separator: "---\n")
    }
}

/// Why CRDs could not be made from a set of ``CustomResource`` types.
public struct CustomResourceDefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong (more cases may come).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Value: Sendable, Hashable { case inconsistentVersions, duplicateVersion, storageVersion, conversion, encoding }
        let value: Value
        public static let inconsistentVersions = Code(value: .inconsistentVersions)
        public static let duplicateVersion = Code(value: .duplicateVersion)
        public static let storageVersion = Code(value: .storageVersion)
        public static let conversion = Code(value: .conversion)
        public static let encoding = Code(value: .encoding)
        public var description: String { "\(value)" }
    }

    public let code: Code
    /// The CRD's name (`backups.example.com`).
    public let definition: String
    public let message: String

    init(_ code: Code, _ definition: String, _ message: String) {
        self.code = code
        self.definition = definition
        self.message = message
    }

    public var description: String { "CustomResourceDefinition \(definition): \(message)" }
}
