import Foundation
import KubeCore
import KubeYAML

/// One entry of an `Accept` header.
struct MediaRange: Sendable, Hashable {
    /// `application/json`, `*/*`, ... (lowercased, no parameters).
    var type: String
    /// Parameters other than `q` (`as`, `g`, `v`, `stream`), keys lowercased.
    var parameters: [String: String]
    var quality: Double

    var isPlain: Bool { parameters["as"] == nil }

    /// The entries of an Accept header, best first (by `q`, then as written); `q=0` dropped.
    static func parse(_ header: String?) -> [MediaRange] {
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
        var ranges: [(offset: Int, range: MediaRange)] = []
        for (offset, entry) in header.split(separator: ",").enumerated() {
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let type = parts.first?.lowercased(), !type.isEmpty else { continue }
            var parameters: [String: String] = [:]
            var quality = 1.0
            for part in parts.dropFirst() {
                let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2 else { continue }
                if kv[0].lowercased() == "q" { quality = Double(kv[1]) ?? 1 } else { parameters[kv[0].lowercased()] = kv[1] }
            }
            if quality > 0 { ranges.append((offset, MediaRange(type: type, parameters: parameters, quality: quality))) }
        }
        return ranges.sorted { $0.range.quality != $1.range.quality ? $0.range.quality > $1.range.quality : $0.offset < $1.offset }
            .map(\.range)
    }
}

/// How a resource response is encoded, from the Accept header (kube-apiserver's
/// `negotiation` package plus the `as=` transformations of the REST handlers).
enum ResponseForm: Sendable, Equatable {
    case json
    case yaml
    /// `as=Table;g=meta.k8s.io;v=<version>`.
    case table(version: String)
    /// `as=PartialObjectMetadata[List];g=meta.k8s.io;v=<version>`.
    case metadata(version: String)

    static let serializers = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]
    static let streamSerializers = ["application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"]

    /// The form for a get/write (`list: false`), a list, or a watch. A plain protobuf range is
    /// `.json` here and re-encoded afterwards (`asProtobuf`, APIServer+Protobuf). 406 with
    /// kube's Status when nothing fits.
    static func negotiate(_ request: ServerRequest, list: Bool, watch: Bool) throws(APIError) -> ResponseForm {
        let ranges = MediaRange.parse(request.headers["accept"])
        if ranges.isEmpty { return .json }
        for range in ranges {
            if let form = form(for: range, list: list, watch: watch) { return form }
        }
        if watch {
            throw APIError.notAcceptable(streamSerializers)
        }
        throw APIError.notAcceptableRepresentations(serializers + (list ? streamSerializers : []))
    }

    private static func form(for range: MediaRange, list: Bool, watch: Bool) -> ResponseForm? {
        switch range.type {
        case "*/*":
            return range.isPlain ? .json : nil
        case "application/json", "application/vnd.kubernetes.protobuf":
            guard let transform = range.parameters["as"] else { return .json }
            guard range.parameters["g"] == "meta.k8s.io", let version = range.parameters["v"], version == "v1" || version == "v1beta1" else {
                return nil
            }
            switch transform {
            case "Table": return .table(version: version)
            case "PartialObjectMetadata" where !list || watch: return .metadata(version: version)
            case "PartialObjectMetadataList" where list && !watch: return .metadata(version: version)
            default: return nil
            }
        case "application/yaml":
            return range.isPlain && !watch ? .yaml : nil
        default:
            return nil
        }
    }

    /// Whether the Accept header allows a JSON or YAML answer (or sets none).
    static func acceptsJSONOrYAML(_ request: ServerRequest) -> Bool {
        let ranges = MediaRange.parse(request.headers["accept"])
        return ranges.isEmpty || ranges.contains { ["application/json", "application/yaml", "*/*"].contains($0.type) }
    }

    /// Whether the client asked for YAML for documents that are not resources (discovery, errors).
    static func prefersYAML(_ request: ServerRequest) -> Bool {
        for range in MediaRange.parse(request.headers["accept"]) {
            switch range.type {
            case "application/yaml" where range.isPlain: return true
            case "application/json", "*/*", "application/vnd.kubernetes.protobuf": return false
            default: continue
            }
        }
        return false
    }
}

extension APIError {
    /// kube's 406 from content negotiation: `406: Not Acceptable` and the representations.
    static func notAcceptableRepresentations(_ available: [String]) -> APIError {
        APIError(code: 406, reason: StatusReason.notAcceptable,
                 message: "406: Not Acceptable\n\nAvailable representations: \(available.joined(separator: ", "))",
                 details: StatusDetails())
    }
}

/// `PartialObjectMetadata` and `PartialObjectMetadataList` (what the metadata-only clients,
/// e.g. controller-runtime's metadata informers, ask for).
enum PartialObjectMetadata {
    static func object(_ object: JSONValue, version: String) -> JSONValue {
        ["kind": "PartialObjectMetadata", "apiVersion": .string("meta.k8s.io/\(version)"), "metadata": object["metadata"] ?? [:]]
    }

    static func list(_ items: [JSONValue], version: String, meta: [String: JSONValue]) -> JSONValue {
        [
            "kind": "PartialObjectMetadataList", "apiVersion": .string("meta.k8s.io/\(version)"), "metadata": .object(meta),
            "items": .array(items.map { object($0, version: version) }),
        ]
    }
}

extension ServerResponse {
    /// A JSON response re-encoded as YAML (`application/yaml`); streams and non-JSON bodies unchanged.
    func asYAML() -> ServerResponse {
        guard case .data(let data) = body,
            headers.contains(where: { $0.0 == "Content-Type" && $0.1 == "application/json" }),
            let value = try? JSONWriter.parse(data)
        else { return self }
        var result = self
        result.headers = headers.map { $0.0 == "Content-Type" ? ("Content-Type", "application/yaml") : $0 }
        result.body = .data(Data(YAMLWriter.string(value).utf8))
        return result
    }
}
