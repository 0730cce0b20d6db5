import Foundation
import KubeCore
import Logging

/// One version of a custom resource in a hub-and-spoke conversion: how objects of
/// ``apiVersion`` convert to the hub type and back.
public struct ConversionVersion<Hub>: Sendable {
    /// `group/version`, for example `example.com/v1`.
    public let apiVersion: String
    let toHub: @Sendable (JSONValue) throws -> Hub
    let fromHub: @Sendable (Hub) throws -> JSONValue

    /// A version with a Swift type `K`.
    public static func version<K: KubeResource>(
        _ type: K.Type, toHub: @escaping @Sendable (K) throws -> Hub, fromHub: @escaping @Sendable (Hub) throws -> K
    ) -> ConversionVersion<Hub> {
        ConversionVersion(
            apiVersion: K.apiVersion,
            toHub: { try toHub(ObjectCoding.decode(K.self, from: $0)) },
            fromHub: { try ObjectCoding.encode(fromHub($0)) })
    }

    /// A version handled as untyped JSON.
    public init(
        apiVersion: String, toHub: @escaping @Sendable (JSONValue) throws -> Hub,
        fromHub: @escaping @Sendable (Hub) throws -> JSONValue
    ) {
        self.apiVersion = apiVersion
        self.toHub = toHub
        self.fromHub = fromHub
    }
}

extension Webhook {
    /// A CRD conversion webhook (`spec.conversion.strategy: Webhook`), hub and spoke:
    /// every object goes from its version to `Hub` and from `Hub` to the desired version.
    ///
    /// An object already in the desired version is returned unchanged. When any object
    /// cannot be converted (an unknown version, a converter that throws, a slow converter)
    /// the response is `Failed` with a message naming the object, and no object is
    /// returned, as kube-apiserver requires.
    public static func convert<Hub>(
        path: String, name: String? = nil, timeout: Duration = .seconds(10), hub: Hub.Type,
        versions: [ConversionVersion<Hub>]
    ) -> Webhook {
        let byVersion = Dictionary(versions.map { ($0.apiVersion, $0) }, uniquingKeysWith: { first, _ in first })
        return Webhook(path: path, name: name, timeout: timeout, kind: .conversion({ request, _ in
            func failure(_ message: String) -> ConversionReview.Response {
                ConversionReview.Response(
                    uid: request.uid, convertedObjects: [], result: Status(status: "Failure", message: message))
            }
            guard let target = byVersion[request.desiredAPIVersion] else {
                return failure("conversion to \(request.desiredAPIVersion) is not supported")
            }
            var converted: [JSONValue] = []
            converted.reserveCapacity(request.objects.count)
            for (index, object) in request.objects.enumerated() {
                let label = Self.describe(object, index: index)
                guard let version = object["apiVersion"]?.stringValue else {
                    return failure("\(label): object has no apiVersion")
                }
                if version == request.desiredAPIVersion {
                    converted.append(object)
                    continue
                }
                guard let source = byVersion[version] else {
                    return failure("\(label): conversion from \(version) is not supported")
                }
                do {
                    converted.append(try target.fromHub(source.toHub(object)))
                } catch {
                    return failure("\(label): conversion from \(version) to \(request.desiredAPIVersion) failed: \(error)")
                }
            }
            return ConversionReview.Response(
                uid: request.uid, convertedObjects: converted, result: Status(status: "Success", metadata: nil))
        }))
    }

    static func describe(_ object: JSONValue, index: Int) -> String {
        let metadata = object["metadata"]
        let name = metadata?["name"]?.stringValue ?? "#\(index)"
        if let namespace = metadata?["namespace"]?.stringValue { return "object \(namespace)/\(name)" }
        return "object \(name)"
    }
}
