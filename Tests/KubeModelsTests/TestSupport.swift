import Foundation

/// Paths the tests read: the package root and the shared spec next to it.
enum TestPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let spec = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/kubernetes-openapi/v3")
    static let generated = packageRoot.appendingPathComponent("Sources/KubeModels/Generated")
}

enum Fixture {
    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Tests/KubeModelsTests/Fixtures/\(name).json"))
    }
}
