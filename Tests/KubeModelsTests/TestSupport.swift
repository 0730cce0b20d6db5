import Foundation

/// Paths the tests read: the package root and the shared spec next to it.
enum TestPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let spec = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/kubernetes-openapi/v3")
    static let generated = packageRoot.appendingPathComponent("Sources/KubeModels/Generated")

    /// A gzipped file of `../shared/fixtures`, decompressed (by `gzip -dc`, which CI has).
    static func gunzippedFixture(_ name: String) throws -> [UInt8] {
        let fixture = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/\(name)")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-dc", fixture.path]
        let pipe = Pipe()
        gzip.standardOutput = pipe
        try gzip.run()
        let bytes = [UInt8](pipe.fileHandleForReading.readDataToEndOfFile())
        gzip.waitUntilExit()
        guard gzip.terminationStatus == 0 else { throw FixtureError(description: "gzip -dc \(fixture.path) failed") }
        return bytes
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
    }
}

enum Fixture {
    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Tests/KubeModelsTests/Fixtures/\(name).json"))
    }
}
