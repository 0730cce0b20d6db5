import Foundation
import Testing

@testable import kube_crd_registry

/// The scanner behind the `CustomResourceRegistry` build plugin: which `@CustomResource` types a
/// module has, under the names another file can use, and which it must leave out.
@Suite(.timeLimit(.minutes(1))) struct CustomResourceRegistryTests {
    static func scan(_ source: String) -> CustomResourceScanner.Result { CustomResourceScanner.scan(Array(source.utf8)) }

    @Test func findsTopLevelAndNestedTypesInSourceOrder() {
        let result = Self.scan(
            #"""
            import KubeCustomResources

            /// A backup. @CustomResource in a comment is not a declaration.
            @CustomResource(group: "example.com", version: "v1", shortNames: ["bk"], status: BackupStatus.self,
                            printerColumns: [.init(name: "Ready", type: .string, jsonPath: ".status.conditions[?(@.type==\"Ready\")].status")])
            public struct Backup { var spec: BackupSpec }

            enum Operators {
                @CustomResource(group: "example.com", version: "v2") @MainActor
                final class Restore { var spec: RestoreSpec }
                struct NotOne { let text = "@CustomResource(group: \"x\") struct Fake {}" }
            }

            extension Operators.Fleet {
                /* @CustomResource struct Commented {} /* nested */ */
                @KubeCustomResources.CustomResource(group: "example.com", version: "v1")
                struct Ship { var spec: ShipSpec }
            }

            let raw = #"a "quoted" { brace"#
            let multi = """
                @CustomResource(group: "g", version: "v") struct InString {}
                \(raw.count) }
                """
            @CustomResource(group: "example.com", version: "v1beta1") struct Later { var spec: LaterSpec }
            """#)
        #expect(result.types == ["Backup", "Operators.Restore", "Operators.Fleet.Ship", "Later"])
        #expect(result.skipped.isEmpty)
    }

    @Test func leavesOutWhatAnotherFileCannotName() {
        let result = Self.scan(
            #"""
            @CustomResource(group: "a", version: "v1") private struct Hidden { var spec: S }
            @CustomResource(group: "a", version: "v1") fileprivate struct AlsoHidden { var spec: S }
            func make() {
                @CustomResource(group: "a", version: "v1") struct Local { var spec: S }
            }
            #if os(Linux)
            @CustomResource(group: "a", version: "v1") struct Conditional { var spec: S }
            #endif
            class Owner {
                class func helper() {}
                @CustomResource(group: "a", version: "v1") struct Kept { var spec: S }
            }
            """#)
        #expect(result.types == ["Owner.Kept"])
        #expect(result.skipped.map(\.name) == ["Hidden", "AlsoHidden", "Local", "Conditional"])
        #expect(result.skipped.map(\.line) == [1, 2, 4, 7])
        #expect(result.skipped.map(\.reason) == ["private to its file", "private to its file", "declared inside a function or closure", "declared under #if"])
    }

    @Test func theRegistryIsSwiftListingEveryType() {
        let text = CustomResourceScanner.registry(["Backup", "Operators.Restore"])
        #expect(text.contains("import KubeCustomResources"))
        #expect(text.contains("enum ModuleCustomResources {\n    static let all: [any CustomResource.Type] = [\n        Backup.self,\n        Operators.Restore.self,\n    ]\n}\n"))
        #expect(CustomResourceScanner.registry([]).contains("= [\n    ]"))
    }

    @Test func unterminatedInputEndsTheScan() {
        // Cut-off strings, comments and attributes end the scan without a crash or a hang.
        for source in [#"@CustomResource(group: "a"#, "/* never closed", #"let s = """#, "@", "#", #"#"unterminated"#, "struct"] {
            _ = Self.scan(source)
        }
    }
}
