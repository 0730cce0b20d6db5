import Foundation
import KubeCore

/// The store's side of version conversion: a write works on the request's version and
/// stores the storage version; built-in resources and `strategy: None` CRDs convert without
/// suspending, so their writes stay atomic. A webhook call suspends the store, and the write
/// checks again afterwards that nothing changed in between (a conflict otherwise).
extension ObjectStore {
    func useConverter(_ converter: CustomResourceConverter) { self.converter = converter }

    /// A stored object in the version `resource` serves.
    func servedForm(_ stored: JSONValue, _ resource: ServedResource) async throws(APIError) -> JSONValue {
        var object = StorageConversion.toServed(stored, resource: resource)
        guard let conversion = registry.conversion(resource.groupResource), object["apiVersion"]?.stringValue != resource.apiVersion else {
            return object
        }
        guard conversion.strategy == .webhook, let converter else {
            object["apiVersion"] = .string(resource.apiVersion)
            return object
        }
        return try await converter.convert([object], to: resource.apiVersion, resource: resource.groupResource, direction: .read, store: self)[0]
    }

    /// An object written through `resource`, in the storage version.
    func storageForm(_ object: JSONValue, _ resource: ServedResource) async throws(APIError) -> JSONValue {
        var object = StorageConversion.toStorage(object, resource: resource)
        guard let conversion = registry.conversion(resource.groupResource), object["apiVersion"]?.stringValue != conversion.storageAPIVersion else {
            return object
        }
        guard conversion.strategy == .webhook, let converter else {
            object["apiVersion"] = .string(conversion.storageAPIVersion)
            return object
        }
        return try await converter.convert(
            [object], to: conversion.storageAPIVersion, resource: resource.groupResource, direction: .write, store: self)[0]
    }
}

extension APIServer {
    /// Objects from the store in the version `resource` serves: custom resources whose CRD
    /// converts through a webhook are converted in one review (`list`: the items of a list or
    /// a batch of watch events). Everything else is left to ``present(_:resource:)``.
    func served(_ objects: [JSONValue], resource: ServedResource, list: Bool = false) async throws(APIError) -> [JSONValue] {
        guard converter.needsWebhook(resource.groupResource) else { return objects }
        return try await converter.convert(objects, to: resource.apiVersion, resource: resource.groupResource, direction: .read, list: list, store: store)
    }

    /// One object from the store, as ``served(_:resource:list:)``.
    func served(_ object: JSONValue, resource: ServedResource) async throws(APIError) -> JSONValue {
        guard converter.needsWebhook(resource.groupResource) else { return object }
        return try await served([object], resource: resource)[0]
    }
}

extension APIServer {
    /// A batch of watch outputs with its objects in the served version; when the webhook
    /// fails, the events are replaced by the ERROR event that ends the watch.
    func servedWatchOutputs(_ outputs: [WatchOutput], resource: ServedResource) async -> [WatchOutput] {
        var objects: [JSONValue] = []
        for output in outputs { if case .event(_, let object, _) = output { objects.append(object) } }
        guard !objects.isEmpty else { return outputs }
        let converted: [JSONValue]
        do {
            converted = try await served(objects, resource: resource, list: objects.count > 1)
        } catch {
            return [.error(error)]
        }
        var next = converted.makeIterator()
        return outputs.map { output in
            guard case .event(let type, _, let serialized) = output, let object = next.next() else { return output }
            return .event(type: type, object: object, serialized: serialized)
        }
    }
}
