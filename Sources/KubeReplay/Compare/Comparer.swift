import Foundation

/// Compares replayed responses with recorded ones, step by step, for one exchange.
///
/// Strict by default: every member, item, string, number and type must match. The
/// only values not compared are those a second server cannot reproduce (the
/// recording README's list); for those the comparer checks presence and format instead:
///
/// - `uid`s and any UUID-valued string: a UUID, and the same recorded UUID always
///   stands for the same replayed one (so `details.uid` must be the object's uid);
/// - `metadata.resourceVersion`: a string of digits; across the exchange the replayed
///   versions keep the recorded order (equal stays equal, increasing stays increasing;
///   list and bookmark versions may stay equal where the recorded cluster had other writes);
/// - `metadata.continue`: present and non-empty where recorded;
/// - RFC 3339 timestamps the client had not sent (or sent back after the server set them):
///   RFC 3339 with the same precision;
/// - `<jwt>`: a JSON Web Token; generateName suffixes, `kube-api-access-xxxxx`,
///   `clusterIP(s)`, `nodePort`: the same shape, and bound for later steps;
/// - `/version` build fields, openapi `hash=` values, Table cells of time columns, the
///   advertised `serverAddress` (a server setting: any host:port) and the host of issuer
///   discovery's `jwks_uri`, `storageVersionHash`
///   of groups named after the exchange's namespace (it hashes the group name);
/// - inside messages: UUIDs, timestamps and quoted resourceVersions.
///
/// Later recorded strings have the bound values substituted before they are compared,
/// so a message quoting an earlier uid or a generated name must quote the replayed one.
struct Comparer {
    /// The exchange's namespace, substituted for `{ns}` before comparing.
    let namespace: String
    /// Every string in the request bodies sent so far (client-supplied values compare exactly).
    var requestStrings: Set<String> = []
    /// Timestamps a response showed before the client sent them: the server set them, and a
    /// client that sends one back (a PUT of an object it read) does not make it its own.
    var serverTimes: Set<String> = []
    /// `metadata.generateName` prefixes the exchange sends.
    var generateNames: [String] = []
    /// Recorded → replayed values of random or allocated strings, in binding order.
    private(set) var bindings: [(recorded: String, replayed: String)] = []
    private var resourceVersions: [(recorded: UInt64, replayed: UInt64, listLike: Bool, step: Int, path: String)] = []
    private(set) var differences: [ReplayDifference] = []
    private(set) var step = 0
    /// The path of the step's request (some volatile values derive from it).
    private(set) var requestPath = ""
    /// The time columns of the last Table seen: a watch of Tables sends `columnDefinitions`
    /// in its first event only (later events carry `null`) and the columns stay the same.
    private var lastTimeColumns: Set<Int> = []

    init(namespace: String) {
        self.namespace = namespace
    }

    /// Records a binding (a ref's value, an allocated value); a conflicting rebinding is a difference.
    mutating func bind(_ recorded: String, _ replayed: String, path: String) {
        guard recorded != replayed, !recorded.isEmpty else { return }
        if let existing = bindings.first(where: { $0.recorded == recorded }) {
            if existing.replayed != replayed {
                report(path, "\(quote(recorded)) (earlier replayed as \(quote(existing.replayed)))", quote(replayed))
            }
            return
        }
        bindings.append((recorded, replayed))
    }

    /// `text` with every bound recorded value replaced by its replayed value.
    func substitute(_ text: String) -> String {
        var result = text
        for binding in bindings where result.contains(binding.recorded) {
            result = result.replacingOccurrences(of: binding.recorded, with: binding.replayed)
        }
        return result
    }

    /// The replayed version of an object version the recording showed (the latest seen).
    func replayedResourceVersion(_ recorded: UInt64) -> UInt64? {
        resourceVersions.last(where: { $0.recorded == recorded && !$0.listLike })?.replayed
    }

    mutating func resourceVersionsAppend(_ recorded: UInt64, _ replayed: UInt64, listLike: Bool, path: String) {
        resourceVersions.append((recorded, replayed, listLike, step, path))
    }

    /// Checks that the replayed resourceVersions keep the recorded order: equal stays
    /// equal, and a later object version stays later (a list's or bookmark's version may
    /// stay equal: the recorded cluster had writes of its own in between). Call after the last step.
    mutating func checkResourceVersionOrder() {
        var reported = 0
        outer: for (i, a) in resourceVersions.enumerated() {
            for b in resourceVersions[(i + 1)...] {
                let violated: Bool
                if a.recorded == b.recorded {
                    violated = a.replayed != b.replayed
                } else if a.listLike || b.listLike {
                    violated = (a.recorded < b.recorded) ? a.replayed > b.replayed : a.replayed < b.replayed
                } else {
                    violated = (a.recorded < b.recorded) != (a.replayed < b.replayed) || a.replayed == b.replayed
                }
                guard violated else { continue }
                let relation = a.recorded == b.recorded ? "equal" : (a.recorded < b.recorded ? "increasing" : "decreasing")
                differences.append(ReplayDifference(
                    step: nil, path: "/resourceVersion",
                    expected: "\(relation) from step \(a.step) \(a.path) to step \(b.step) \(b.path)",
                    actual: "\(a.replayed) then \(b.replayed)"))
                reported += 1
                if reported == 3 { break outer }
            }
        }
    }

    mutating func report(_ path: String, _ expected: String, _ actual: String) {
        differences.append(ReplayDifference(step: step, path: path, expected: expected, actual: actual))
    }

    mutating func report(step: Int, _ path: String, _ expected: String, _ actual: String) {
        differences.append(ReplayDifference(step: step, path: path, expected: expected, actual: actual))
    }

    func quote(_ text: String) -> String { ReplayJSON.string(text).short() }

    // MARK: - Responses

    /// Compares one step's response; `actual` is what the replay received.
    mutating func compare(step: Int, recorded: ReplayJSON, actual: ReplayedResponse, requestPath: String = "") {
        self.step = step
        self.requestPath = requestPath
        let status = recorded["status"]?.int ?? 0
        if status != actual.status { report("/status", String(status), String(actual.status)) }
        let headers = recorded["headers"] ?? .object([])
        let recordedType = headers["Content-Type"]?.string
        if recordedType != actual.contentType {
            report("/headers/Content-Type", recordedType.map(quote) ?? ReplayDifference.absent, actual.contentType.map(quote) ?? ReplayDifference.absent)
        }
        let recordedWarnings = headers["Warning"]?.array?.compactMap(\.string) ?? headers["Warning"]?.string.map { [$0] } ?? []
        compareStrings(recordedWarnings, actual.warnings, path: "/headers/Warning")
        let retryAfter = headers["Retry-After"]?.string ?? headers["Retry-After"]?.int.map(String.init)
        if retryAfter != actual.retryAfter {
            report("/headers/Retry-After", retryAfter.map(quote) ?? ReplayDifference.absent, actual.retryAfter.map(quote) ?? ReplayDifference.absent)
        }
        compareBody(recorded, actual: actual, contentType: recordedType ?? "")
    }

    private mutating func compareStrings(_ recorded: [String], _ actual: [String], path: String) {
        if recorded.count != actual.count {
            report(path, ReplayJSON.array(recorded.map(ReplayJSON.string)).short(400), ReplayJSON.array(actual.map(ReplayJSON.string)).short(400))
            return
        }
        for (index, (expected, got)) in zip(recorded, actual).enumerated() {
            compareString(expected, got, path: path + "/\(index)", key: nil)
        }
    }

    private mutating func compareBody(_ recorded: ReplayJSON, actual: ReplayedResponse, contentType: String) {
        let body = recorded["body"] ?? .null
        if let encoding = recorded["body_encoding"]?.string, encoding.hasPrefix("base64") {
            compareProtobufPrefix(body.string ?? "", actual: actual.body)
            return
        }
        if actual.isWatch, case .array(let events) = body {
            if contentType.contains("json") {
                compareValue(.array(events), actual.events.map(ReplayJSON.array) ?? .string(actual.bodyText), path: "/body", key: nil)
            } else {
                compareValue(body, .string(actual.bodyText), path: "/body", key: nil)
            }
            return
        }
        switch body {
        case .string(let text) where contentType.hasPrefix("application/yaml"):
            guard let expected = YAMLText.parse(text) else {
                compareString(text, actual.bodyText, path: "/body", key: nil)
                return
            }
            guard let got = YAMLText.parse(actual.bodyText) else {
                report("/body", "YAML", "not YAML: " + quote(actual.bodyText))
                return
            }
            compareValue(expected, got, path: "/body", key: nil)
        case .string(let text):
            compareString(text, actual.bodyText, path: "/body", key: nil)
        case .null where actual.body.isEmpty:
            break
        default:
            guard let got = actual.json else {
                report("/body", body.short(), "not JSON: " + quote(actual.bodyText))
                return
            }
            compareValue(body, got, path: "/body", key: nil)
        }
    }

    /// Protobuf bodies are recorded as their first 64 bytes: compare the `k8s\0` magic
    /// and the TypeMeta (apiVersion, kind) of the `runtime.Unknown` envelope.
    private mutating func compareProtobufPrefix(_ base64: String, actual: Data) {
        guard let recorded = Data(base64Encoded: base64) else {
            report("/body", "base64 prefix", "recording is not base64")
            return
        }
        let expected = ProtobufPrefix(recorded)
        let got = ProtobufPrefix(actual)
        if expected != got { report("/body", expected.description, got.description) }
    }

    // MARK: - Values

    mutating func compareValue(_ expected: ReplayJSON, _ actual: ReplayJSON, path: String, key: String?, context: ValueContext = .init()) {
        switch (expected, actual) {
        case (.object(let members), .object):
            compareObject(members, actual, path: path, context: context)
        case (.array(let items), .array(let got)):
            compareArray(items, got, path: path, key: key, context: context)
        case (.string(let text), .string(let got)):
            compareString(text, got, path: path, key: key, context: context)
        case (.number(let text), .number(let got)):
            if key == "nodePort", let recorded = Int(text), let replayed = Int(got) {
                if !(30000...32767).contains(replayed) { report(path, "a node port (30000-32767)", got) }
                bind(String(recorded), String(replayed), path: path)
            } else if !ReplayJSON.sameNumber(text, got) {
                report(path, text, got)
            }
        case (.bool(let a), .bool(let b)):
            if a != b { report(path, String(a), String(b)) }
        case (.null, .null):
            break
        case (.string(let text), _) where key.map(Self.untypedVolatileKeys.contains) ?? false:
            report(path, "a string like \(quote(text))", actual.short())
        default:
            report(path, expected.short(), actual.short())
        }
    }

    /// Where a value is being compared, as far as the rules need to know.
    struct ValueContext {
        /// Inside the object of a BOOKMARK event, or a list: its resourceVersion is the store's, not an object's.
        var listLike = false
        /// The cells of these columns hold times (Table `Age`, `Created At`, `Last Seen`, `First Seen`).
        var timeColumns: Set<Int> = []
    }

    static let untypedVolatileKeys: Set<String> = ["gitCommit", "gitTreeState", "buildDate", "goVersion"]
    static let timeColumnNames: Set<String> = ["Age", "Created At", "Last Seen", "First Seen"]

    private mutating func compareObject(_ members: [(key: String, value: ReplayJSON)], _ actual: ReplayJSON, path: String, context: ValueContext) {
        let expected = ReplayJSON.object(members)
        var context = context
        if expected["kind"]?.string == "Table" {
            if let columns = expected["columnDefinitions"]?.array {
                lastTimeColumns = Set(columns.indices.filter { Self.timeColumnNames.contains(columns[$0]["name"]?.string ?? "") })
            }
            context.timeColumns = lastTimeColumns
        }
        let isList = expected["items"] != nil || (expected["kind"]?.string?.hasSuffix("List") ?? false)
        if expected["type"]?.string == "BOOKMARK" { context.listLike = true }
        // A generated name binds the recorded suffix to the replayed one.
        if let prefix = expected["metadata"]?["generateName"]?.string, let name = expected["metadata"]?["name"]?.string, name.hasPrefix(prefix),
            let got = actual["metadata"]?["name"]?.string, got.hasPrefix(prefix)
        {
            bind(name, got, path: path + "/metadata/name")
        }
        let gotMembers = actual.members ?? []
        for member in members {
            let childPath = path + "/" + Self.escape(member.key)
            guard let got = gotMembers.first(where: { $0.key == member.key })?.value else {
                report(childPath, member.value.short(), ReplayDifference.absent)
                continue
            }
            var childContext = context
            if member.key == "metadata" {
                childContext.listLike = context.listLike || isList || expected["kind"]?.string == "Status"
            } else if member.key != "object" && !path.hasSuffix("/metadata") {
                childContext.listLike = false
            }
            compareValue(member.value, got, path: childPath, key: member.key, context: childContext)
        }
        for member in gotMembers where !members.contains(where: { $0.key == member.key }) {
            report(path + "/" + Self.escape(member.key), ReplayDifference.absent, member.value.short())
        }
    }

    private mutating func compareArray(_ items: [ReplayJSON], _ got: [ReplayJSON], path: String, key: String?, context: ValueContext) {
        var got = got
        if key == "managedFields", let reordered = Self.inRecordedOrder(got, recorded: items) { got = reordered }
        if items.count != got.count {
            report(path, "\(items.count) items \(Self.itemNames(items))", "\(got.count) items \(Self.itemNames(got))")
        }
        for (index, (expected, actual)) in zip(items, got).enumerated() {
            if key == "cells", context.timeColumns.contains(index) {
                if expected.typeName != actual.typeName { report(path + "/\(index)", "a \(expected.typeName) (a time cell)", actual.short()) }
                continue
            }
            compareValue(expected, actual, path: path + "/\(index)", key: key == "clusterIPs" ? "clusterIP" : nil, context: context)
        }
    }

    /// kube sorts managedFields by operation, then time (seconds), manager, apiVersion and
    /// subresource. Where every recorded entry has the same time, the recorded order is that of
    /// the other keys, while a replay whose writes fall into different seconds sorts by time: the
    /// replayed entries are then compared in the recorded order, provided they are in kube's order
    /// by their own times (nil otherwise, and the entries are compared as they came).
    static func inRecordedOrder(_ got: [ReplayJSON], recorded: [ReplayJSON]) -> [ReplayJSON]? {
        guard got.count == recorded.count, Set(recorded.map { $0["time"]?.string ?? "" }).count == 1 else { return nil }
        func key(_ entry: ReplayJSON, _ name: String) -> String { entry[name]?.string ?? "" }
        func identity(_ entry: ReplayJSON) -> [String] { [key(entry, "manager"), key(entry, "operation"), key(entry, "subresource")] }
        func sortKey(_ entry: ReplayJSON) -> [String] {
            [key(entry, "operation"), String(key(entry, "time").prefix(19)), key(entry, "manager"), key(entry, "apiVersion"), key(entry, "subresource")]
        }
        guard zip(got, got.dropFirst()).allSatisfy({ !sortKey($1).lexicographicallyPrecedes(sortKey($0)) }) else { return nil }
        var pool = got
        var ordered: [ReplayJSON] = []
        for entry in recorded {
            guard let index = pool.firstIndex(where: { identity($0) == identity(entry) }) else { return nil }
            ordered.append(pool.remove(at: index))
        }
        return ordered
    }

    /// The names of listed objects (or of watch events' objects), to make a count difference readable.
    static func itemNames(_ items: [ReplayJSON]) -> String {
        let names = items.compactMap { item -> String? in
            let object = item["object"] ?? item
            guard let name = object["metadata"]?["name"]?.string ?? object["name"]?.string else { return nil }
            return (item["type"]?.string).map { "\($0) \(name)" } ?? name
        }
        guard !names.isEmpty else { return "" }
        let shown = names.prefix(8).joined(separator: ", ")
        return "[" + shown + (names.count > 8 ? ", …" : "") + "]"
    }

    static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
