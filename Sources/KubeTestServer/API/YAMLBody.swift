import Foundation
import KubeCore
import Yams

/// YAML request bodies (`application/yaml`, and server-side apply's
/// `application/apply-patch+yaml`), converted to JSON as kube-apiserver's decoder does.
enum YAMLBody {
    /// The one document in `data` as JSON (JSON text is YAML too, and parsed as JSON first).
    static func parse(_ data: Data) throws(APIError) -> JSONValue {
        if let json = try? JSONWriter.parse(data) { return json }
        let text = String(decoding: data, as: UTF8.self)
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw APIError.badRequest("error converting YAML to JSON: \(error)")
        }
        guard let loaded else { throw APIError.badRequest("the body of the request was empty") }
        return try convert(loaded)
    }

    private static func convert(_ value: Any) throws(APIError) -> JSONValue {
        switch value {
        case is NSNull: return .null
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .int(Int64(number))
        case let number as Double: return .double(number)
        case let text as String: return .string(text)
        case let date as Date: return .string(Time(date).description)
        case let items as [Any]:
            var result: [JSONValue] = []
            for item in items { result.append(try convert(item)) }
            return .array(result)
        case let members as [AnyHashable: Any]:
            var result: [String: JSONValue] = [:]
            for (key, member) in members { result["\(key.base)"] = try convert(member) }
            return .object(result)
        default:
            throw APIError.badRequest("error converting YAML to JSON: unsupported value of type \(type(of: value))")
        }
    }
}
