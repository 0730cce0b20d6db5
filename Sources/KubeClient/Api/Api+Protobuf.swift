import Foundation
import KubeCore
import KubeModels

extension Api {
    static var protobuf: String { "application/vnd.kubernetes.protobuf" }

    /// The request as ``ClientConfig/contentType`` asks: for `.protobuf` and a built-in kind,
    /// get/list/watch/create/update accept protobuf (then JSON) and create/update send it.
    /// Protobuf responses are read straight into the models (``KubeClient/decode(_:from:contentType:request:what:)``),
    /// a watch as length-prefixed frames (``WatchStream``).
    func negotiated(_ request: KubeRequest) throws -> KubeRequest {
        guard client.config.contentType == .protobuf, ["get", "list", "watch", "create", "update"].contains(request.verb),
            request.headers["Accept"] == "application/json",
            BuiltinProtobufSchema.schema.hasMessage(apiVersion: resource.apiVersion, kind: resource.kind)
        else { return request }
        var request = request
        request.headers["Accept"] = "\(Self.protobuf), application/json"
        if let body = request.body, request.headers["Content-Type"] == "application/json" {
            do {
                let value = try JSONDecoder().decode(JSONValue.self, from: body)
                request.body = Data(try BuiltinProtobufSchema.schema.encodeObject(value))
                request.headers["Content-Type"] = Self.protobuf
            } catch let error as ProtobufError {
                throw KubeError(.invalidRequest, "the \(resource.kind) does not encode as protobuf: \(error)")
            }
        }
        return request
    }
}

extension KubeClient {
    /// A protobuf response body (`Content-Type: application/vnd.kubernetes.protobuf`) as the
    /// JSON the decoders read; any other body unchanged. Malformed protobuf is a ``KubeError``
    /// naming the field path.
    static func decodedBody(_ body: Data, contentType: String?, request: KubeRequest) throws -> Data {
        guard let contentType, contentType.hasPrefix("application/vnd.kubernetes.protobuf"), !body.isEmpty else { return body }
        do {
            return Data(JSONText.bytes(try BuiltinProtobufSchema.schema.decodeObject([UInt8](body))))
        } catch {
            throw KubeError(.decoding, "the protobuf response to \(request.method.rawValue) \(request.path) is malformed: \(error)")
        }
    }

    /// An error answer's body as JSON (a protobuf `Status` is decoded; on failure the bytes stay).
    static func jsonBody(_ body: Data, contentType: String?) -> Data {
        guard let contentType, contentType.hasPrefix("application/vnd.kubernetes.protobuf"),
            let value = try? BuiltinProtobufSchema.schema.decodeObject([UInt8](body))
        else { return body }
        return Data(JSONText.bytes(value))
    }
}
