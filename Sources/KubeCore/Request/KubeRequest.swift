import Foundation

/// One query parameter.
public struct QueryItem: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP request to the API server as a plain value: method, path, query,
/// headers and body. Building one does no I/O; sending it is the client's job.
public struct KubeRequest: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable {
        case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
    }

    public var method: Method
    /// The path, unescaped (`/api/v1/namespaces/default/pods`).
    public var path: String
    public var query: [QueryItem]
    /// Extra headers (`Content-Type`, `Accept`); authentication is added by the transport.
    public var headers: [String: String]
    public var body: Data?
    /// `true` for a watch or a followed log: a long-lived stream that must not be retried as a whole.
    public var isStreaming: Bool
    /// The API verb for metrics and logs: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`.
    public var verb: String

    public init(
        method: Method, path: String, query: [QueryItem] = [], headers: [String: String] = [:], body: Data? = nil,
        isStreaming: Bool = false, verb: String? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.isStreaming = isStreaming
        self.verb = verb ?? method.rawValue.lowercased()
    }

    /// Path and percent-encoded query, ready to append to the server URL.
    public var pathAndQuery: String {
        let encodedPath = path.split(separator: "/", omittingEmptySubsequences: false)
            .map { PercentEncoding.encode(String($0)) }.joined(separator: "/")
        guard !query.isEmpty else { return encodedPath }
        return encodedPath + "?" + query.map { "\(PercentEncoding.encode($0.name))=\(PercentEncoding.encode($0.value))" }
            .joined(separator: "&")
    }

    /// The request body is safe to send again (every non-streaming request: the body is a value).
    public var isReplayable: Bool { !isStreaming }
}

package enum PercentEncoding {
    /// Encodes everything but RFC 3986 unreserved characters.
    package static func encode(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                result.unicodeScalars.append("%")
                result.unicodeScalars.append(hex[Int(byte >> 4)])
                result.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return result
    }
}

/// A request that cannot be built: a bad name, a missing namespace, a body that does not encode.
public struct RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
