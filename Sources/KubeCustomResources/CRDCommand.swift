import ArgumentParser
import Foundation
import KubeCore

/// A `crd` subcommand for an operator's executable: prints the CRDs of its custom resources
/// for `kubectl apply -f -` (YAML, or JSON with `--output json`).
///
/// ```swift
/// struct CRD: CustomResourceDefinitionsCommand {
///     static let customResources: [any CustomResource.Type] = [Backup.self]
/// }
/// // then: subcommands: [Run.self, CRD.self]   →   backup-operator crd | kubectl apply -f -
/// ```
public protocol CustomResourceDefinitionsCommand: ParsableCommand {
    /// The types whose CRDs the command prints (versions of one resource become one CRD).
    static var customResources: [any CustomResource.Type] { get }
    /// `yaml` or `json`; YAML unless the command declares
    /// `@Option var output = CustomResourceDefinitionsOutput.yaml`.
    var output: CustomResourceDefinitionsOutput { get }
}

/// The format of ``CustomResourceDefinitionsCommand``'s output.
public enum CustomResourceDefinitionsOutput: String, Sendable, ExpressibleByArgument, CaseIterable {
    case yaml, json
}

extension CustomResourceDefinitionsCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "crd", abstract: "Print the CustomResourceDefinitions of this program's custom resources.")
    }

    public var output: CustomResourceDefinitionsOutput { .yaml }

    public func run() throws {
        print(try Self.render(output), terminator: "")
    }

    /// What the command prints.
    public static func render(_ output: CustomResourceDefinitionsOutput) throws(CustomResourceDefinitionError) -> String {
        switch output {
        case .yaml:
            return try CustomResourceDefinitions.yaml(for: customResources)
        case .json:
            let definitions = try CustomResourceDefinitions.definitions(for: customResources)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let list = JSONValue.object([
                "apiVersion": "v1", "kind": "List",
                "items": .array(definitions.compactMap { try? JSONValue(encoding: $0) }),
            ])
            guard let data = try? encoder.encode(list) else {
                throw CustomResourceDefinitionError(.encoding, "", "the CRDs do not encode as JSON")
            }
            return String(decoding: data, as: UTF8.self) + "\n"
        }
    }
}
