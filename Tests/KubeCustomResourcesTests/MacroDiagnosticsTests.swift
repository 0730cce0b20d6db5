import Foundation
import Testing

/// Bad macro use is a compiler error at the declaration, not a crash: compiles a bad file
/// against this build's KubeCustomResources module and macro plugin (no dependency on the
/// macro target, which would build swift-syntax a second time).
@Suite("Compile-time diagnostics of the custom-resource macros", .timeLimit(.minutes(2)))
struct MacroDiagnosticsTests {
    @Test func badDeclarationsAreCompilerErrors() throws {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let plugin = products.appendingPathComponent("KubeCustomResourcesMacros-tool").path
        try #require(FileManager.default.fileExists(atPath: plugin), "no macro plugin beside the test binary at \(plugin)")
        let cYamlInclude = products.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("checkouts/Yams/Sources/CYaml/include")
        try #require(FileManager.default.fileExists(atPath: cYamlInclude.appendingPathComponent("module.modulemap").path), "no CYaml module map at \(cYamlInclude.path)")
        let source = """
            import Foundation
            import KubeCustomResources
            @KubeSchema enum Level: Int, Codable { case low }
            @KubeSchema struct S: Codable, Sendable { var when: Date; var untyped = f(); @Minimum(1) var computed: Int { 1 } }
            func f() -> Int { 1 }
            @CustomResource(group: "nodot", version: "V1", plural: "Things") struct Thing { var spec: S }
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("crd-macro-bad-\(UUID().uuidString).swift")
        try source.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "swiftc", "-typecheck", "-swift-version", "6", "-I", products.appendingPathComponent("Modules").path,
            // KubeCustomResources imports KubeYAML, which imports Yams and its C module CYaml.
            "-I", cYamlInclude.path,
            "-load-plugin-executable", "\(plugin)#KubeCustomResourcesMacros", file.path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 1, "\(text)")
        #expect(!text.contains("Stack dump"))
        for message in [
            "3:18: error: a @KubeSchema enum needs String raw values",
            "error: 'when': Foundation's Date encodes as a number",
            "error: 'untyped' needs a type annotation",
            "error: @Minimum marks a stored instance property",
            "6:24: error: the group 'nodot' must be a DNS subdomain with at least one dot",
            "error: the version 'V1' must be a DNS label",
            "error: the plural 'Things' must be lower-case",
        ] {
            #expect(text.contains(message), "missing: \(message)")
        }
    }
}
