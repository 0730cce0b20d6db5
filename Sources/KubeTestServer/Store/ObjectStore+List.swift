import APIServerSemantics
import Foundation
import KubeCore

/// Which state a list reads (kube's `resourceVersion` + `resourceVersionMatch`).
enum ListRead: Sendable {
    /// `resourceVersion` unset or `0` (or `NotOlderThan` at or below the current revision): the current state.
    case current
    /// `resourceVersionMatch=NotOlderThan`: the current state, if it is at least this new.
    case notOlderThan(Int64)
    /// `resourceVersionMatch=Exact`: the state at exactly this revision.
    case exact(Int64)
}

/// One page of a list.
struct ListPage: Sendable {
    var items: [JSONValue]
    var resourceVersion: Int64
    var continueToken: String?
    var remainingItemCount: Int64?
}

/// The opaque continue token, byte for byte as kube-apiserver writes it: base64url (no
/// padding) of Go's JSON `{"v":"meta.k8s.io/v1","rv":N,"start":"/<key>\u0000"}`, the key
/// relative to the list's prefix (`/name` in a namespace, `/namespace/name` across them).
/// `rv` -1 (in the token of a 410) continues at the latest revision.
struct ContinueToken: Sendable, Equatable {
    var rv: Int64
    /// The storage key to resume after (`ns/name` or `name`).
    var startAfter: String
    /// The token of a 410 writes the key without its leading `/` (kube's paging fallback does).
    var leadingSlash = true

    func encoded(namespace: String?) -> String {
        var relative = startAfter
        if let namespace, relative.hasPrefix(namespace + "/") { relative = String(relative.dropFirst(namespace.count + 1)) }
        let start = (leadingSlash ? "/" : "") + relative + "\u{0}"
        let json = #"{"v":"meta.k8s.io/v1","rv":"# + String(rv) + #","start":"# + Self.goQuoted(start) + "}"
        return Data(json.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `storage.DecodeContinue` and the etcd store's 400 (`invalid continue token: …`) with Go's error texts.
    static func decode(_ text: String, namespace: String?) throws(APIError) -> ContinueToken {
        func invalid(_ why: String) -> APIError { APIError.badRequest("invalid continue token: continue key is not valid: \(why)") }
        let data: Data
        switch GoBase64.rawURLDecode(text) {
        case .success(let decoded): data = decoded
        case .failure(let offset): throw invalid("illegal base64 data at input byte \(offset)")
        }
        let value: JSONValue
        do {
            value = try JSONWriter.parse(data)
        } catch {
            throw invalid(GoJSONSyntax.error(in: data) ?? "unexpected end of JSON input")
        }
        guard case .object(let fields) = value else {
            throw invalid("json: cannot unmarshal \(value.jsonTypeName) into Go value of type storage.continueToken")
        }
        let version = fields["v"]?.stringValue ?? ""
        guard version == "meta.k8s.io/v1" else {
            throw invalid("server does not recognize this encoded version \(version)")
        }
        let rv = fields["rv"]?.intValue ?? 0
        if rv == 0 {
            throw APIError.badRequest("invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        }
        guard var start = fields["start"]?.stringValue, !start.isEmpty else {
            throw APIError.badRequest("invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)")
        }
        if !start.hasPrefix("/") { start = "/" + start }
        // Go's path.Clean must leave the key as it is (no `.`, `..`, `//` or trailing `/`).
        let segments = start.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if segments.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) && start != "/" {
            throw invalid(fields["start"]?.stringValue ?? "")
        }
        var key = String(start.dropFirst())
        if key.hasSuffix("\u{0}") { key = String(key.dropLast()) }
        if let namespace { key = namespace + "/" + key }
        return ContinueToken(rv: rv, startAfter: key)
    }

    /// A JSON string as Go's `encoding/json` writes it (`<`, `>`, `&` and control characters escaped).
    static func goQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}": out += String(format: "\\u%04x", scalar.value)
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

/// Go's `base64.RawURLEncoding.DecodeString`: the offset of the first illegal byte on failure.
enum GoBase64 {
    enum Result { case success(Data), failure(Int) }

    static func rawURLDecode(_ text: String) -> Result {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var table = [Int](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = index }
        let bytes = Array(text.utf8)
        var out = Data()
        var buffer = 0, bits = 0
        for (offset, byte) in bytes.enumerated() {
            let value = table[Int(byte)]
            guard value >= 0 else { return .failure(offset) }
            buffer = (buffer << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> bits) & 0xFF))
            }
        }
        // A lone trailing character cannot encode a byte.
        if bytes.count % 4 == 1 { return .failure(bytes.count - 1) }
        return .success(out)
    }
}

extension ObjectStore {
    /// Lists one page. `limit` 0 means everything; a `continueToken` resumes the
    /// snapshot it was cut from (410 once that revision left the history window).
    func list(_ resource: ServedResource, filter: ObjectFilter, read: ListRead, limit: Int, continueToken: String?) throws(APIError) -> ListPage {
        var snapshotRevision = revision
        var startAfter: String?
        let tokenNamespace = resource.namespaced ? filter.namespace : nil
        if let continueToken {
            let token = try ContinueToken.decode(continueToken, namespace: tokenNamespace)
            startAfter = token.startAfter
            if token.rv > 0 {
                snapshotRevision = token.rv
                if snapshotRevision > revision { throw APIError.tooLargeResourceVersion(snapshotRevision, current: revision) }
                if snapshotRevision < listableRevision {
                    // kube's paging fallback: a token for the rest of the list at the latest revision.
                    var error = APIError.continueTooOld
                    error.status.metadata = ListMeta(continue: ContinueToken(rv: -1, startAfter: token.startAfter, leadingSlash: false)
                        .encoded(namespace: tokenNamespace))
                    throw error
                }
            }
        } else {
            switch read {
            case .current: break
            case .notOlderThan(let wanted):
                if wanted > revision { throw APIError.tooLargeResourceVersion(wanted, current: revision) }
            case .exact(let wanted):
                if wanted > revision { throw APIError.tooLargeResourceVersion(wanted, current: revision) }
                if wanted < listableRevision { throw APIError.expired("The resourceVersion for the provided list is too old.") }
                snapshotRevision = wanted
            }
        }
        let snapshot = self.snapshot(resource.storageResource, at: snapshotRevision)
        var keys = snapshot.keys.sorted()
        if let namespace = filter.namespace, resource.namespaced {
            let prefix = namespace + "/"
            keys = keys.filter { $0.hasPrefix(prefix) }
        }
        if let startAfter { keys = keys.filter { $0 > startAfter } }
        var items: [JSONValue] = []
        var lastKey: String?
        var index = 0
        while index < keys.count {
            let object = snapshot[keys[index]]!
            index += 1
            if filter.matches(object) {
                items.append(object)
                lastKey = keys[index - 1]
                if limit > 0 && items.count == limit { break }
            }
        }
        var page = ListPage(items: items, resourceVersion: snapshotRevision)
        // Like kube, a full page gets a token whenever keys follow it, matching or not; the
        // count of the rest only when nothing is filtered.
        if limit > 0, items.count == limit, index < keys.count, let lastKey {
            page.continueToken = ContinueToken(rv: snapshotRevision, startAfter: lastKey).encoded(namespace: tokenNamespace)
            if filter.isEverything { page.remainingItemCount = Int64(keys.count - index) }
        }
        return page
    }

    /// The objects of a resource as they were at `at` (which the history must cover):
    /// the current state with later events undone.
    func snapshot(_ resource: GroupResource, at target: Int64) -> [String: JSONValue] {
        var state = objects[resource] ?? [:]
        guard target < revision else { return state }
        for event in history.reversed() {
            if event.revision <= target { break }
            guard event.resource == resource else { continue }
            switch event.kind {
            case .added: state.removeValue(forKey: event.key)
            case .modified, .deleted: state[event.key] = event.previous
            }
        }
        return state
    }
}
