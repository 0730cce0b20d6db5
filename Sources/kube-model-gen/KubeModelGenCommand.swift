import ArgumentParser
import Foundation
import KubeModelGen

@main
struct KubeModelGenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kube-model-gen",
        abstract: "Generates the KubeModels Swift sources from the Kubernetes OpenAPI v3 documents."
    )

    @Argument(help: "The folder of OpenAPI v3 documents (kubernetes-openapi/v3).")
    var specDirectory: String

    @Argument(help: "The output folder (Sources/KubeModels/Generated).")
    var outputDirectory: String

    @Option(help: "The folder of generated.proto files (default: kubernetes-protobuf beside kubernetes-openapi).")
    var protobufDirectory: String?

    @Flag(help: "Also generate alpha and beta group versions.")
    var includePrerelease = false

    func run() throws {
        let generator = try ModelGenerator(
            specDirectory: URL(fileURLWithPath: specDirectory),
            protobufDirectory: protobufDirectory.map { URL(fileURLWithPath: $0) }, includePrerelease: includePrerelease)
        let count = try generator.write(to: URL(fileURLWithPath: outputDirectory))
        print("kube-model-gen: wrote \(count) files to \(outputDirectory)")
    }
}
