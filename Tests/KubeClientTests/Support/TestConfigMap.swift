import KubeCore

/// A hand-written resource type for tests (the generated models live in KubeModels).
struct ConfigMap: KubeResource, Equatable {
    static let group = ""
    static let version = "v1"
    static let kind = "ConfigMap"
    static let plural = "configmaps"
    static let namespaced = true

    var apiVersion: String? = "v1"
    var kind: String? = "ConfigMap"
    var metadata: ObjectMeta
    var data: [String: String]?

    init(name: String? = nil, namespace: String? = nil, data: [String: String]? = nil) {
        self.metadata = ObjectMeta(name: name, namespace: namespace)
        self.data = data
    }
}

extension ConfigMap {
    static func json(_ name: String, rv: Int = 1, data: String = "{}") -> String {
        #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","namespace":"ns","resourceVersion":"\#(rv)"},"data":\#(data)}"#
    }
}
