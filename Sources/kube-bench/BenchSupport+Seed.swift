import Foundation
import KubeCore
import KubeModels

/// Pods for the scenarios: the fixture's, or renamed copies of them to reach a count.
enum PodSeed {
    /// `count` pods: the fixture's pods in order, then copies named `<name>-c<k>` (no uid,
    /// no resourceVersion) until there are `count`. A name already taken in its namespace
    /// (the 10k fixture repeats one) gets a `-d<n>` suffix and no uid, so all `count` are distinct.
    static func pods(fixture: String, count: Int) throws -> [Pod] {
        let source = try ObjectList<Pod>.read(from: BenchFixture.load(fixture)).items
        guard !source.isEmpty else { throw BenchError("fixture \(fixture) holds no pods") }
        var pods: [Pod] = []
        pods.reserveCapacity(count)
        var copy = 0
        var taken = Set<String>()
        while pods.count < count {
            for var pod in source where pods.count < count {
                if copy > 0 {
                    pod.metadata.name = (pod.metadata.name ?? "pod") + "-c\(copy)"
                    pod.metadata.uid = nil
                }
                var key = "\(pod.metadata.namespace ?? "")/\(pod.metadata.name ?? "")"
                var duplicate = 0
                while taken.contains(key) {
                    duplicate += 1
                    key = "\(pod.metadata.namespace ?? "")/\(pod.metadata.name ?? "")-d\(duplicate)"
                }
                if duplicate > 0 {
                    pod.metadata.name = (pod.metadata.name ?? "pod") + "-d\(duplicate)"
                    pod.metadata.uid = nil
                }
                taken.insert(key)
                pods.append(pod)
            }
            copy += 1
        }
        return pods
    }

    /// Writes a seed manifest for `kube-test-server --seed`: a `List` of the pods'
    /// namespaces, then of the pods (each with apiVersion and kind). Returns the paths.
    static func writeManifests(_ pods: [Pod], in folder: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let namespaces = Set(pods.map { $0.metadata.namespace ?? "default" }).sorted()
        let namespaceItems = namespaces.map { #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"\#($0)"}}"# }
        let namespacePath = folder.appendingPathComponent("namespaces.json")
        try Data(#"{"apiVersion":"v1","kind":"List","items":[\#(namespaceItems.joined(separator: ","))]}"#.utf8)
            .write(to: namespacePath)
        let encoder = JSONEncoder()
        var body = Data(#"{"apiVersion":"v1","kind":"List","items":["#.utf8)
        for (index, var pod) in pods.enumerated() {
            pod.metadata.resourceVersion = nil
            var object = try JSONValue(encoding: pod)
            object["apiVersion"] = .string("v1")
            object["kind"] = .string("Pod")
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(try encoder.encode(object))
        }
        body.append(contentsOf: Array("]}".utf8))
        let podPath = folder.appendingPathComponent("pods.json")
        try body.write(to: podPath)
        return [namespacePath.path, podPath.path]
    }
}
