import Foundation
import KubeCore
import KubeModels

/// `application/vnd.kubernetes.protobuf`, what kubectl and client-go's typed clients send and
/// ask for: request bodies of every built-in kind are read through the generated message table
/// (``BuiltinProtobufSchema``) into the JSON the store keeps, and JSON responses are re-encoded
/// when the Accept header prefers protobuf (objects, lists, Status errors, watch streams).
/// Kinds without a message (custom resources, Tables, discovery) stay JSON, as the client's
/// `Accept: application/vnd.kubernetes.protobuf, application/json` allows.
enum ProtobufBodies {
    static let contentType = "application/vnd.kubernetes.protobuf"
    static let watchContentType = "application/vnd.kubernetes.protobuf;stream=watch"

    /// The JSON form of a protobuf request body (the `k8s\0` envelope around `runtime.Unknown`).
    static func decode(_ data: Data) throws(APIError) -> JSONValue {
        do throws(ProtobufError) {
            return try BuiltinProtobufSchema.schema.decodeObject([UInt8](data))
        } catch where error.isUnknownMessage {
            throw APIError.unsupportedMediaType(contentType, accepted: ["application/json", "application/yaml"])
        } catch {
            throw APIError.badRequest("failed to decode protobuf body: \(error)")
        }
    }
}

extension ResponseForm {
    /// Whether the best plain (no `as=`) type of the Accept header is protobuf.
    static func prefersProtobuf(_ request: ServerRequest) -> Bool {
        for range in MediaRange.parse(request.headers["accept"]) {
            switch range.type {
            case ProtobufBodies.contentType: return range.isPlain
            case "application/json", "application/yaml", "*/*": return false
            default: continue
            }
        }
        return false
    }
}

extension ServerResponse {
    /// The response in protobuf: a JSON object of a kind with a message is re-encoded, a JSON
    /// watch stream becomes length-prefixed `WatchEvent` frames when `streamHasMessage` (the
    /// watched kind has a message). Everything else is unchanged.
    func asProtobuf(streamHasMessage: Bool) -> ServerResponse {
        guard headers.contains(where: { $0.0 == "Content-Type" && $0.1 == "application/json" }) else { return self }
        switch body {
        case .data(let data):
            // The value the handler kept (a list), else our own JSON read back with the fast
            // reader (Foundation's JSONDecoder took seconds for a page of 500 pods).
            guard let value = jsonValue ?? (try? JSONValue.read(from: data)), let kind = value["kind"]?.stringValue,
                BuiltinProtobufSchema.schema.hasMessage(apiVersion: value["apiVersion"]?.stringValue ?? "", kind: kind),
                let bytes = try? BuiltinProtobufSchema.schema.encodeObject(value)
            else { return self }
            var result = self
            result.headers = headers.map { $0.0 == "Content-Type" ? ("Content-Type", ProtobufBodies.contentType) : $0 }
            result.body = .data(Data(bytes))
            return result
        case .stream(let chunks):
            guard streamHasMessage else { return self }
            var result = self
            result.headers = headers.map { $0.0 == "Content-Type" ? ("Content-Type", ProtobufBodies.watchContentType) : $0 }
            result.body = .stream(Self.protobufFrames(chunks))
            return result
        }
    }

    /// Re-frames newline-delimited JSON watch events as protobuf `WatchEvent` frames.
    private static func protobufFrames(_ chunks: AsyncStream<StreamChunk>) -> AsyncStream<StreamChunk> {
        let (output, continuation) = AsyncStream<StreamChunk>.makeStream()
        let task = Task {
            var pending: [UInt8] = []
            for await chunk in chunks {
                guard case .data(let data) = chunk else { continuation.yield(chunk); continue }
                pending.append(contentsOf: data)
                var frames: [UInt8] = []
                var start = pending.startIndex
                while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[start..<newline]
                    start = newline + 1
                    guard let event = try? JSONValue.read(from: Array(line)), let type = event["type"]?.stringValue,
                        let object = event["object"], let frame = try? BuiltinProtobufSchema.schema.encodeWatchFrame(type: type, object: object)
                    else { continue }
                    frames.append(contentsOf: frame)
                }
                pending.removeSubrange(..<start)
                if !frames.isEmpty { continuation.yield(.data(Data(frames))) }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return output
    }
}
