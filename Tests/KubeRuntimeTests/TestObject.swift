import KubeCore

/// A minimal ConfigMap-like object for runtime tests that need no network.
struct TestObject: KubeObject, Equatable {
    var metadata: ObjectMeta
    var data: [String: String]?

    init(_ name: String, namespace: String? = "default", resourceVersion: String? = nil, labels: [String: String]? = nil, data: [String: String]? = nil) {
        metadata = ObjectMeta(name: name, namespace: namespace, resourceVersion: resourceVersion, labels: labels)
        self.data = data
    }
}
