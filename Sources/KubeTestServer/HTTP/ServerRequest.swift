import Foundation
import KubeCore

/// One HTTP request as the API layer sees it, whatever the wire protocol (HTTP/1.1 or HTTP/2).
struct ServerRequest: Sendable {
    var method: String
    /// The path without the query, percent-decoded.
    var path: String
    var query: [String: [String]]
    /// Header names lowercased.
    var headers: [String: String]
    var body: Data
    /// The user named by a verified client certificate, when one was presented.
    var certificateIdentity: CertificateIdentity?
    /// Which listener accepted the connection.
    var listenerIndex: Int
    /// The TCP connection it came on (`ObjectIdentifier` of the accepted channel), when known.
    var connectionID: ObjectIdentifier?

    init(method: String, uri: String, headers: [(String, String)], body: Data, certificateIdentity: CertificateIdentity?, listenerIndex: Int) {
        self.method = method
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        var query: [String: [String]] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (text: Substring) -> String in
                    let spaced = text.replacingOccurrences(of: "+", with: " ")
                    return spaced.removingPercentEncoding ?? spaced
                }
                query[decode(kv[0]), default: []].append(kv.count == 2 ? decode(kv[1]) : "")
            }
        }
        self.query = query
        var lowered: [String: String] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            if let existing = lowered[key] { lowered[key] = existing + "," + value } else { lowered[key] = value }
        }
        self.headers = lowered
        self.body = body
        self.certificateIdentity = certificateIdentity
        self.listenerIndex = listenerIndex
    }

    /// The first value of query parameter `name`.
    func queryValue(_ name: String) -> String? { query[name]?.first }

    /// `true` when the query parameter is `true` / `1`.
    func queryFlag(_ name: String) -> Bool {
        guard let value = queryValue(name)?.lowercased() else { return false }
        return value == "true" || value == "1" || value.isEmpty
    }
}

/// What the API layer answers: a complete body, or a stream (watch) whose chunks are
/// written as they come.
struct ServerResponse: Sendable {
    enum Body: Sendable {
        case data(Data)
        case stream(AsyncStream<StreamChunk>)
    }

    /// One piece of a streamed body.
    enum StreamChunk: Sendable {
        case data(Data)
        /// Cut the connection (HTTP/1.1) or reset the stream (HTTP/2) without a clean end.
        case abort
    }

    var status: Int
    var headers: [(String, String)]
    var body: Body {
        didSet { jsonValue = nil }
    }
    /// The value `body` is the JSON text of, when the handler kept it (``json(_:value:)``): another
    /// encoding (protobuf) starts from it instead of reading the text back. Any change of `body`
    /// drops it.
    private(set) var jsonValue: JSONValue?

    init(status: Int, headers: [(String, String)] = [], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response (`Content-Type: application/json`).
    static func json(_ status: Int, _ data: Data, extraHeaders: [(String, String)] = []) -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", "application/json")] + extraHeaders, body: .data(data))
    }

    /// A JSON response of `value`, which it keeps for ``jsonValue``.
    static func json(_ status: Int, value: JSONValue) -> ServerResponse {
        var response = json(status, JSONWriter.data(value))
        response.jsonValue = value
        return response
    }

    static func text(_ status: Int, _ text: String) -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: .data(Data(text.utf8)))
    }
}
