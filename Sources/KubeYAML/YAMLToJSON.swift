import Foundation
import KubeCore
import Yams

/// YAML → JSON, the one conversion the package uses (request bodies of `KubeTestServer`,
/// manifests of `kubeprobe apply` and `kube-test-server --seed`), made the way
/// kube-apiserver and kubectl make it (`sigs.k8s.io/yaml`, go-yaml v2 into `interface{}`):
///
/// - YAML 1.1 scalars: `true`/`yes`/`on` are booleans, `0x1F` and `1_000` integers, `~` null;
/// - timestamps stay the strings they were written as (go-yaml v2 resolves them only into a
///   `time.Time` target, never into `interface{}`), so no precision or offset is lost;
/// - map keys that are not strings (`1: a`, `true: b`) become their text, as `sigs.k8s.io/yaml`
///   writes them;
/// - `!!binary` values become base64 strings (JSON's spelling of bytes).
package enum YAMLToJSON {
    /// Every document of a YAML stream (`---` separated), empty documents left out.
    package static func documents(_ text: String) throws(YAMLConversionError) -> [JSONValue] {
        var values: [JSONValue] = []
        var stream: YamlSequence<Any>
        do { stream = try Yams.load_all(yaml: text, resolver) } catch { throw YAMLConversionError("\(error)") }
        // The sequence ends at the first bad document and keeps the error aside: look at it,
        // or a malformed second document would silently cut the stream short.
        while let document = stream.next() {
            let value = try convert(document)
            if value != .null { values.append(value) }
        }
        if let error = stream.error { throw YAMLConversionError("\(error)") }
        return values
    }

    /// The single document of `text`; `nil` when it is empty. More than one document is an error.
    package static func document(_ text: String) throws(YAMLConversionError) -> JSONValue? {
        let loaded: Any?
        do { loaded = try Yams.load(yaml: text, resolver) } catch { throw YAMLConversionError("\(error)") }
        guard let loaded else { return nil }
        let value = try convert(loaded)
        return value == .null ? nil : value
    }

    /// YAML 1.1's resolver without timestamps.
    private static let resolver = Resolver.default.removing(.timestamp)

    /// Converts what Yams constructs (`[AnyHashable: Any]`, `[Any]`, scalars) to JSON.
    static func convert(_ value: Any) throws(YAMLConversionError) -> JSONValue {
        switch value {
        case is NSNull: return .null
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .int(Int64(number))
        case let number as Double:
            guard number.isFinite else { throw YAMLConversionError("\(number) has no JSON representation") }
            return .double(number)
        case let text as String: return .string(text)
        case let bytes as Data: return .string(bytes.base64EncodedString())
        case let items as [Any]:
            var result: [JSONValue] = []
            result.reserveCapacity(items.count)
            for item in items { result.append(try convert(item)) }
            return .array(result)
        case let members as [AnyHashable: Any]:
            var result: [String: JSONValue] = [:]
            for (key, member) in members { result["\(key.base)"] = try convert(member) }
            return .object(result)
        default:
            throw YAMLConversionError("unsupported YAML value of type \(type(of: value))")
        }
    }
}

/// YAML that does not convert to JSON: not YAML at all, or a value JSON cannot hold
/// (`.inf`, `.nan`, a `!!set`).
package struct YAMLConversionError: Error, CustomStringConvertible {
    package let message: String
    init(_ message: String) { self.message = message }
    package var description: String { message }
}
