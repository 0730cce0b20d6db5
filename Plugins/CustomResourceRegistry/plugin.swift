import Foundation
import PackagePlugin

/// A build-tool plugin: for the module it is applied to, generates `ModuleCustomResources.all`,
/// every type declared there with `@CustomResource`, so that a `crd` command prints every CRD of
/// the module without a hand-kept list:
///
/// ```swift
/// .executableTarget(name: "backup-operator", dependencies: ["KubeCustomResources", …],
///                   plugins: [.plugin(name: "CustomResourceRegistry", package: "swift-kubernetes")])
///
/// struct CRD: CustomResourceDefinitionsCommand {
///     static let customResources = ModuleCustomResources.all
/// }
/// ```
@main
struct CustomResourceRegistry: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let sources = module.sourceFiles(withSuffix: ".swift").map(\.url).sorted { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("ModuleCustomResources.swift")
        return [
            .buildCommand(
                displayName: "Listing the @CustomResource types of \(target.name)",
                executable: try context.tool(named: "kube-crd-registry").url,
                arguments: [output.path] + sources.map(\.path),
                inputFiles: sources, outputFiles: [output])
        ]
    }
}
