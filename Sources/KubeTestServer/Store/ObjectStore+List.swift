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

/// The opaque continue token, the same shape as kube-apiserver's (base64url of
/// `{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}`).
struct ContinueToken: Codable, Sendable {
    var v: String
    var rv: Int64
    var start: String

    var encoded: String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) throws(APIError) -> ContinueToken {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let token = try? JSONDecoder().decode(ContinueToken.self, from: data),
            token.v == "meta.k8s.io/v1", token.rv > 0
        else {
            throw APIError.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        }
        return token
    }
}

extension ObjectStore {
    /// Lists one page. `limit` 0 means everything; a `continueToken` resumes the
    /// snapshot it was cut from (410 once that revision left the history window).
    func list(_ resource: ServedResource, filter: ObjectFilter, read: ListRead, limit: Int, continueToken: String?) throws(APIError) -> ListPage {
        var snapshotRevision = revision
        var startAfter: String?
        if let continueToken {
            let token = try ContinueToken.decode(continueToken)
            snapshotRevision = token.rv
            startAfter = token.start.hasSuffix("\u{0}") ? String(token.start.dropLast()) : token.start
            if snapshotRevision < compactedRevision && snapshotRevision != revision { throw APIError.continueTooOld }
        } else {
            switch read {
            case .current: break
            case .notOlderThan(let wanted):
                if wanted > revision { throw APIError.tooLargeResourceVersion(wanted, current: revision) }
            case .exact(let wanted):
                if wanted > revision { throw APIError.tooLargeResourceVersion(wanted, current: revision) }
                if wanted < compactedRevision { throw APIError.expired("The resourceVersion for the provided list is too old.") }
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
        if limit > 0, items.count == limit, index < keys.count, let lastKey {
            let remaining = keys[index...].filter { filter.matches(snapshot[$0]!) }.count
            if remaining > 0 {
                page.continueToken = ContinueToken(v: "meta.k8s.io/v1", rv: snapshotRevision, start: lastKey + "\u{0}").encoded
                if filter.isEverything { page.remainingItemCount = Int64(remaining) }
            }
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
