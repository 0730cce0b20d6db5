/// `meta.k8s.io/v1.PartialObjectMetadata`: an object's metadata without its spec or status (what
/// client-go's metadata informers cache). An `Api<PartialObjectMetadata>` made for any resource
/// (`Api(client, resource: Pod.descriptor, namespace: nil)`) asks the server for this form
/// (`Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` for lists,
/// `as=PartialObjectMetadata` for gets and watches, with plain JSON as the fallback), so an
/// informer over it keeps names, labels, annotations and owners for a few hundred bytes an object.
public struct PartialObjectMetadata: KubeObject, Hashable, JSONReadable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta

    public init(apiVersion: String? = "meta.k8s.io/v1", kind: String? = "PartialObjectMetadata", metadata: ObjectMeta = ObjectMeta()) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
    }

    /// The `Accept` header for a single object or watch (`list: false`) or a list.
    public static func accept(list: Bool) -> String {
        "application/json;as=PartialObjectMetadata\(list ? "List" : "");g=meta.k8s.io;v=v1, application/json"
    }

    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        var apiVersion: String?
        var kind: String?
        var metadata: ObjectMeta?
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            if reader.readNull() { return }
            if key.equals("metadata") {
                metadata = try ObjectMeta(reading: &reader)
            } else if key.equals("apiVersion") {
                apiVersion = try String(reading: &reader)
            } else if key.equals("kind") {
                kind = try String(reading: &reader)
            } else {
                try reader.skipValue()
            }
        }
        self.init(apiVersion: apiVersion, kind: kind, metadata: metadata ?? ObjectMeta())
    }
}
