import KubeCore
import Testing
@testable import KubeRuntime

@Suite(.timeLimit(.minutes(3))) struct StoreTests {
    @Test func keysIndexesAndSnapshots() async {
        let store = Store<TestObject>(indexers: Dictionary(uniqueKeysWithValues: [Store<TestObject>.namespaceIndex, Store<TestObject>.labelIndex("app")]))
        #expect(!store.isSynced)
        store.replace(
            [TestObject("a", namespace: "x", labels: ["app": "web"]), TestObject("b", namespace: "y", labels: ["app": "db"]), TestObject("n", namespace: nil)],
            resourceVersion: "10")
        await store.waitUntilSynced()
        #expect(store.keys == ["n", "x/a", "y/b"])
        #expect(store.byIndex("namespace", "x").map(\.metadata.name) == ["a"])
        #expect(store.byIndex("label:app", "web").map(\.metadata.name) == ["a"])
        // An update moves the object between index values.
        store.apply(TestObject("a", namespace: "x", resourceVersion: "11", labels: ["app": "db"]))
        #expect(store.byIndex("label:app", "web").isEmpty)
        #expect(store.byIndex("label:app", "db").map(\.metadata.name) == ["a", "b"])
        #expect(store.resourceVersion == "11")
        store.delete(TestObject("b", namespace: "y", resourceVersion: "12"))
        #expect(store.byIndex("label:app", "db").map(\.metadata.name) == ["a"])
        #expect(store.get(namespace: "y", name: "b") == nil)
        #expect(store.byIndex("no-such-index", "x").isEmpty)
    }

    @Test func replaceIsAtomicForReaders() async {
        let store = Store<TestObject>()
        let generationA = (0..<200).map { TestObject("o\($0)", data: ["gen": "A"]) }
        let generationB = (0..<200).map { TestObject("o\($0)", data: ["gen": "B"]) }
        store.replace(generationA, resourceVersion: "1")
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for round in 0..<200 { store.replace(round % 2 == 0 ? generationB : generationA, resourceVersion: "\(round)") }
                return true
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<200 {
                        let generations = Set(store.list().compactMap { $0.data?["gen"] })
                        if generations.count != 1 { return false }
                    }
                    return true
                }
            }
            for await consistent in group { #expect(consistent) }
        }
    }

    @Test func waitersResumeOnFirstSync() async {
        let store = Store<TestObject>()
        async let waited: Void = store.waitUntilSynced()
        try? await Task.sleep(for: .milliseconds(20))
        store.replace([], resourceVersion: "1")
        await waited
        #expect(store.isSynced)
    }
}
