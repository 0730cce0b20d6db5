import Foundation
import KubeCore
import KubeYAML

/// YAML request bodies (`application/yaml`, and server-side apply's
/// `application/apply-patch+yaml`), converted to JSON as kube-apiserver's decoder does.
enum YAMLBody {
    /// The one document in `data` as JSON (JSON text is YAML too, and parsed as JSON first).
    static func parse(_ data: Data) throws(APIError) -> JSONValue {
        if let json = try? JSONWriter.parse(data) { return json }
        let converted: JSONValue?
        do { converted = try YAMLToJSON.document(String(decoding: data, as: UTF8.self)) } catch {
            throw APIError.badRequest("error converting YAML to JSON: \(error)")
        }
        guard let converted else { throw APIError.badRequest("the body of the request was empty") }
        return converted
    }
}
