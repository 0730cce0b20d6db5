import Foundation

// Hand-written fast readers for the KubeCore types that every object carries.
// Unknown keys are skipped, `null` reads as absent, like `Codable` with optionals.

extension JSONReader {
    /// Reads `T`, or `nil` for a JSON `null`.
    @inlinable
    public mutating func readOptional<T>(_ read: (inout JSONReader) throws(JSONReadError) -> T) throws(JSONReadError) -> T? {
        if readNull() { return nil }
        return try read(&self)
    }

    public mutating func read<T: JSONReadable>(_ type: T.Type = T.self) throws(JSONReadError) -> T {
        try T(reading: &self)
    }

    /// Reads an array of `T`; `null` reads as an empty array.
    public mutating func readArray<T: JSONReadable>(of type: T.Type) throws(JSONReadError) -> [T] {
        if readNull() { return [] }
        return try readArray { (reader: inout JSONReader) throws(JSONReadError) in try T(reading: &reader) }
    }

    /// Reads an object of `T` values.
    public mutating func readMap<T>(_ read: (inout JSONReader) throws(JSONReadError) -> T) throws(JSONReadError) -> [String: T] {
        var result: [String: T] = [:]
        try readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            result[reader.string(of: key)] = try read(&reader)
        }
        return result
    }

    /// A missing required field of the object just read; its path ends with the
    /// field's name (`spec.containers[0].name`), like `Codable`'s `keyNotFound`.
    public func missing(_ field: String) -> JSONReadError {
        JSONReadError("missing required field \"\(field)\"", offset: offset, path: [field])
    }
}

extension JSONReader {
    /// Reads an RFC 3339 timestamp string straight from the bytes.
    @usableFromInline
    mutating func readTimestamp() throws(JSONReadError) -> Date {
        if _slowPath(isProtobuf) { return try protobufTimestamp() }
        let start = index
        if let bytes = try readPlainStringBytes(), let date = RFC3339.parse(bytes: bytes) { return date }
        index = start
        let text = try readString()
        guard let date = RFC3339.parse(text) else {
            index = start
            throw error("invalid RFC 3339 time \"\(text)\"")
        }
        return date
    }
}

extension ObjectMeta: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        self.init()
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            if reader.readNull() { return }
            switch key {
            case "name": name = try reader.readString()
            case "generateName": generateName = try reader.readString()
            case "namespace": namespace = try reader.readString()
            case "uid": uid = try reader.readString()
            case "resourceVersion": resourceVersion = try reader.readString()
            case "generation": generation = try reader.readInt64()
            case "creationTimestamp": creationTimestamp = try Time(reading: &reader)
            case "deletionTimestamp": deletionTimestamp = try Time(reading: &reader)
            case "deletionGracePeriodSeconds": deletionGracePeriodSeconds = try reader.readInt64()
            case "labels": labels = try reader.readStringMap()
            case "annotations": annotations = try reader.readStringMap()
            case "ownerReferences": ownerReferences = try reader.readArray(of: OwnerReference.self)
            case "finalizers": finalizers = try reader.readStringArray()
            case "managedFields": managedFields = try reader.readArray(of: ManagedFieldsEntry.self)
            case "selfLink": selfLink = try reader.readString()
            default: try reader.skipValue()
            }
        }
    }
}

extension ListMeta: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        self.init()
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            if reader.readNull() { return }
            switch key {
            case "resourceVersion": resourceVersion = try reader.readString()
            case "continue": self.continue = try reader.readString()
            case "remainingItemCount": remainingItemCount = try reader.readInt64()
            case "selfLink": selfLink = try reader.readString()
            default: try reader.skipValue()
            }
        }
    }
}

extension OwnerReference: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        var apiVersion: String?, kind: String?, name: String?, uid: String?
        var controller: Bool?, blockOwnerDeletion: Bool?
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            if reader.readNull() { return }
            switch key {
            case "apiVersion": apiVersion = try reader.readString()
            case "kind": kind = try reader.readString()
            case "name": name = try reader.readString()
            case "uid": uid = try reader.readString()
            case "controller": controller = try reader.readBool()
            case "blockOwnerDeletion": blockOwnerDeletion = try reader.readBool()
            default: try reader.skipValue()
            }
        }
        guard let apiVersion else { throw reader.missing("apiVersion") }
        guard let kind else { throw reader.missing("kind") }
        guard let name else { throw reader.missing("name") }
        guard let uid else { throw reader.missing("uid") }
        self.init(apiVersion: apiVersion, kind: kind, name: name, uid: uid, controller: controller, blockOwnerDeletion: blockOwnerDeletion)
    }
}

extension ManagedFieldsEntry: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        self.init()
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            if reader.readNull() { return }
            switch key {
            case "manager": manager = try reader.readString()
            case "operation": operation = try reader.readString()
            case "apiVersion": apiVersion = try reader.readString()
            case "time": time = try Time(reading: &reader)
            case "fieldsType": fieldsType = try reader.readString()
            case "fieldsV1": fieldsV1Raw = try RawJSON(reading: &reader)
            case "subresource": subresource = try reader.readString()
            default: try reader.skipValue()
            }
        }
    }
}

extension ObjectList: JSONReadable where Item: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        var apiVersion: String?, kind: String?
        var metadata = ListMeta()
        var items: [Item] = []
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            if reader.readNull() { return }
            switch key {
            case "apiVersion": apiVersion = try reader.readString()
            case "kind": kind = try reader.readString()
            case "metadata": metadata = try ListMeta(reading: &reader)
            case "items": items = try reader.readArray(of: Item.self)
            default: try reader.skipValue()
            }
        }
        self.init(apiVersion: apiVersion, kind: kind, metadata: metadata, items: items)
    }
}

extension DynamicObject: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        self.init()
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            switch key {
            case "apiVersion": apiVersion = try reader.readOptional { (r: inout JSONReader) throws(JSONReadError) in try r.readString() }
            case "kind": kind = try reader.readOptional { (r: inout JSONReader) throws(JSONReadError) in try r.readString() }
            case "metadata": metadata = try reader.readOptional(ObjectMeta.init(reading:)) ?? ObjectMeta()
            default: fields[key.string] = try reader.readValue()
            }
        }
    }
}

extension Status: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        // A Status is small and rare: the generic path is fine.
        let value = try reader.readValue()
        do {
            self = try value.decode(as: Status.self)
        } catch {
            throw reader.error("not a Status object: \(error)")
        }
    }
}

extension WatchEvent: JSONReadable where K: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        // `type` usually comes first; if `object` comes first, keep its bytes and read it after.
        var type: WatchEventType?
        var event: WatchEvent<K>?
        var deferredObject: [UInt8]?
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            switch key {
            case "type":
                let text = try reader.readString()
                guard let parsed = WatchEventType(rawValue: text) else { throw reader.error("unknown watch event type \"\(text)\"") }
                type = parsed
            case "object":
                if let type { event = try Self.readObject(type: type, reader: &reader) } else { deferredObject = try reader.readRawBytes() }
            default:
                try reader.skipValue()
            }
        }
        guard let type else { throw reader.missing("type") }
        if let event {
            self = event
        } else if let deferredObject {
            self = try deferredObject.withUnsafeBytes { buffer in
                var inner = JSONReader(buffer)
                return Result { () throws(JSONReadError) -> WatchEvent<K> in try Self.readObject(type: type, reader: &inner) }
            }.get()
        } else {
            throw reader.missing("object")
        }
    }

    private static func readObject(type: WatchEventType, reader: inout JSONReader) throws(JSONReadError) -> WatchEvent<K> {
        switch type {
        case .added: return .added(try K(reading: &reader))
        case .modified: return .modified(try K(reading: &reader))
        case .deleted: return .deleted(try K(reading: &reader))
        case .error: return .error(try Status(reading: &reader))
        case .bookmark:
            var resourceVersion = ""
            var annotations: [String: String] = [:]
            try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
                guard case "metadata" = key else { return try reader.skipValue() }
                let metadata = try ObjectMeta(reading: &reader)
                resourceVersion = metadata.resourceVersion ?? ""
                annotations = metadata.annotations ?? [:]
            }
            return .bookmark(Bookmark(resourceVersion: resourceVersion, annotations: annotations))
        }
    }
}
