import Foundation
import KubeModelGen
import Testing

@Suite(.timeLimit(.minutes(3))) struct GeneratorTests {
    /// The committed `Sources/KubeModels/Generated` must be exactly what the
    /// generator produces from the spec: regenerate with
    /// `swift run kube-model-gen ../shared/kubernetes-openapi/v3 Sources/KubeModels/Generated`.
    @Test func committedFilesMatchTheGenerator() throws {
        let generator = try ModelGenerator(specDirectory: TestPaths.spec)
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("kube-model-gen-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temporary) }
        try generator.write(to: temporary)
        let expected = try Self.swiftFiles(under: temporary)
        let committed = try Self.swiftFiles(under: TestPaths.generated)
        #expect(Set(expected.keys) == Set(committed.keys), "generated file set differs")
        for (path, contents) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(committed[path] == contents, "\(path) differs from the generator's output")
        }
    }

    @Test func generatorIsDeterministic() throws {
        let first = try ModelGenerator(specDirectory: TestPaths.spec).files()
        let second = try ModelGenerator(specDirectory: TestPaths.spec).files()
        #expect(first == second)
    }

    /// Fields real servers leave `null` are optionals; the kind table names every kind.
    @Test func overridesAndTheKindTable() throws {
        let files = try ModelGenerator(specDirectory: TestPaths.spec).files()
        let event = try #require(files["events/v1/Events.V1.Event.swift"])
        #expect(event.contains("public var eventTime: MicroTime?\n"))
        #expect(!event.contains("jsonReader.missing(\"eventTime\")"))
        #expect(event.contains("decodeIfPresent(MicroTime.self, forKey: .eventTime)"))
        // The core/v1 Event is untouched (its eventTime was optional already).
        #expect(try #require(files["core/v1/Core.V1.Event.swift"]).contains("public var eventTime: MicroTime?\n"))
        let kinds = try #require(files["BuiltinKinds.swift"])
        #expect(kinds.contains("\"events.k8s.io/v1/Event\": Events.V1.Event.self,"))
        #expect(kinds.contains("\"v1/Status\": KubeCore.Status.self,"))
    }

    @Test func missingSpecFolderIsAnError() {
        #expect(throws: (any Error).self) {
            try ModelGenerator(specDirectory: URL(fileURLWithPath: "/nonexistent/spec"))
        }
    }

    private static func swiftFiles(under root: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix(".swift") else { continue }
            result[path] = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        }
        return result
    }
}
