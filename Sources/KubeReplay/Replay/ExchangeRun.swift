import Foundation
import KubeTestServer

/// Replays one exchange against a running server and compares every step.
struct ExchangeRun {
    let recording: ReplayRecording
    let namespace: String
    let server: KubeTestServer
    let client: ReplayClient
    let options: Replayer.Options

    private var comparer: Comparer
    /// Our responses, as `{"status", "headers", "body"}`, for refs.
    private var responses: [ReplayJSON] = []
    private var tokens: [ReplayClient.Identity: String] = [:]

    init(recording: ReplayRecording, namespace: String, server: KubeTestServer, client: ReplayClient, options: Replayer.Options) {
        self.recording = recording
        self.namespace = namespace
        self.server = server
        self.client = client
        self.options = options
        var comparer = Comparer(namespace: namespace)
        for step in recording.steps {
            let body = step.request["body"]?.replacing("{ns}", with: namespace) ?? .null
            Self.collectGenerateNames(body, into: &comparer.generateNames)
        }
        self.comparer = comparer
    }

    /// Runs every step; returns the differences found.
    mutating func run() async -> [ReplayDifference] {
        for (index, step) in recording.steps.enumerated() {
            if let note = step.note { await honour(note: note, before: index) }
            // What the client has sent so far: a value sent only later cannot explain this answer.
            let body = step.request["body"]?.replacing("{ns}", with: namespace) ?? .null
            Self.collectStrings(body, into: &comparer.requestStrings)
            if case .string(let text) = body { comparer.requestStrings.insert(text) }
            var response: ReplayedResponse
            let requestPath = step.request["path"]?.string?.replacingOccurrences(of: "{ns}", with: namespace) ?? ""
            do {
                let request = try await prepare(step, index: index)
                response = try await client.send(request)
                if step.note?.contains("polled") ?? false, Self.isSafeToRepeat(request) {
                    let deadline = ContinuousClock.now + options.pollLimit
                    while !matches(response, step: index, recorded: step.response, requestPath: requestPath), ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(200))
                        response = try await client.send(request)
                    }
                }
            } catch let failure as StepFailure {
                comparer.report(step: index, "/request", "a request", failure.reason)
                responses.append(.null)
                continue
            } catch {
                comparer.report(step: index, "/status", String(step.response["status"]?.int ?? 0), "no response: \(error)")
                responses.append(.null)
                continue
            }
            if response.watchCutShort {
                comparer.report(step: index, "/body", "a watch the server ends", "still open after \(options.watchLimit)")
            }
            comparer.compare(
                step: index, recorded: step.response.replacing("{ns}", with: namespace), actual: response, requestPath: requestPath)
            responses.append(Self.document(response))
        }
        comparer.checkResourceVersionOrder()
        return comparer.differences
    }

    private func matches(_ response: ReplayedResponse, step: Int, recorded: ReplayJSON, requestPath: String) -> Bool {
        var scratch = comparer
        let before = scratch.differences.count
        scratch.compare(step: step, recorded: recorded.replacing("{ns}", with: namespace), actual: response, requestPath: requestPath)
        return scratch.differences.count == before
    }

    /// Reviews and reads can be repeated while the recorder polled; writes cannot.
    private static func isSafeToRepeat(_ request: ReplayClient.Request) -> Bool {
        request.method == "GET" || (request.method == "POST" && request.path.hasSuffix("reviews"))
    }

    struct StepFailure: Error { var reason: String }

    // MARK: - Building the request

    private mutating func prepare(_ step: ReplayRecording.Step, index: Int) async throws -> ReplayClient.Request {
        var request = step.request.replacing("{ns}", with: namespace)
        for ref in step.refs {
            guard let value = resolve(ref.source) else {
                throw StepFailure(reason: "ref \(ref.target) ← \(ref.source): no such value in the replayed responses")
            }
            // `<jwt>` stands for every token of the recording: a placeholder, not a value to bind.
            if let recordedValue = request.value(at: ref.target)?.string, recordedValue != "<jwt>", let replayedValue = value.string {
                comparer.bind(recordedValue, replayedValue, path: "/refs\(ref.target)")
            }
            guard request.set(value, at: ref.target) else { throw StepFailure(reason: "ref target \(ref.target) cannot be set") }
        }
        request = substituteBindings(request)
        // A body that sends back the managedFields it read sends ours: kube keeps the live
        // entries when they come back unchanged and takes them as given otherwise.
        if let sent = request.value(at: "/body/metadata/managedFields"),
            let earlier = (0..<index).reversed().first(where: { earlier in
                recording.steps[earlier].response["body"]?["metadata"]?["managedFields"]?.replacing("{ns}", with: namespace) == sent
            }),
            let ours = responses[earlier].value(at: "/body/metadata/managedFields")
        {
            _ = request.set(ours, at: "/body/metadata/managedFields")
        }
        // A body that sends back an object it read (a read-modify-write without refs) carries
        // the recorded resourceVersion: send the one this server answered for it.
        let refTargets = Set(step.refs.map(\.target))
        if !refTargets.contains("/body/metadata/resourceVersion"),
            let recorded = request.value(at: "/body/metadata/resourceVersion")?.string.flatMap(UInt64.init),
            let replayed = comparer.replayedResourceVersion(recorded)
        {
            _ = request.set(.string(String(replayed)), at: "/body/metadata/resourceVersion")
        }
        let headers = request["headers"] ?? .object([])
        let identityText = headers["identity"]?.string ?? "admin"
        guard let identity = ReplayClient.Identity(identityText) else { throw StepFailure(reason: "unknown identity \(identityText)") }
        var bearer: String?
        switch identity {
        case .admin, .anonymous: break
        case .badToken: bearer = "this-is-not-a-valid-token"
        case .serviceAccount: bearer = try await token(for: identity)
        }
        let body: String?
        switch request["body"] {
        case nil, .null?: body = nil
        case .string(let text)?: body = text
        case let value?: body = value.compactText
        }
        let query = request["query"]
        let watch = request["watch_stream"]?.bool ?? false
        var watchLimit = options.watchLimit
        if let seconds = query?["timeoutSeconds"]?.string.flatMap(Int.init) {
            watchLimit = min(options.watchLimit, .seconds(seconds + 5))
        }
        return ReplayClient.Request(
            method: request["method"]?.string ?? "GET", path: request["path"]?.string ?? "/", query: ReplayClient.queryString(query),
            accept: headers["Accept"]?.string, contentType: headers["Content-Type"]?.string, body: body, bearer: bearer,
            certificate: identity == .admin, watch: watch, watchLimit: watchLimit)
    }

    /// A value from our own earlier responses: `/steps/<i>/response/<pointer>`.
    private func resolve(_ source: String) -> ReplayJSON? {
        let tokens = ReplayJSON.pointerTokens(source)
        guard tokens.count >= 3, tokens[0] == "steps", let index = Int(tokens[1]), responses.indices.contains(index), tokens[2] == "response"
        else { return nil }
        let rest = tokens.dropFirst(3).map(Comparer.escape).map { "/" + $0 }.joined()
        return responses[index].value(at: rest)
    }

    private func substituteBindings(_ value: ReplayJSON) -> ReplayJSON {
        switch value {
        case .string(let text): .string(comparer.substitute(text))
        case .array(let items): .array(items.map(substituteBindings))
        case .object(let members): .object(members.map { (key: $0.key, value: substituteBindings($0.value)) })
        default: value
        }
    }

    /// A TokenRequest for the ServiceAccount (default audience, one hour), made just before its first use.
    private mutating func token(for identity: ReplayClient.Identity) async throws -> String {
        if let token = tokens[identity] { return token }
        guard case .serviceAccount(let accountNamespace, let name) = identity else { throw StepFailure(reason: "not a service account") }
        let request = ReplayClient.Request(
            method: "POST", path: "/api/v1/namespaces/\(accountNamespace)/serviceaccounts/\(name)/token", query: "",
            accept: "application/json", contentType: "application/json",
            body: #"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}}"#,
            bearer: nil, certificate: true, watch: false, watchLimit: .seconds(10))
        let response = try await client.send(request)
        guard response.status == 201, let token = response.json?["status"]?["token"]?.string else {
            throw StepFailure(reason: "TokenRequest for \(accountNamespace)/\(name) answered \(response.status): \(response.bodyText.prefix(200))")
        }
        tokens[identity] = token
        return token
    }

    // MARK: - Notes

    /// Does what the recorder did between steps, where it matters here: waits for a CRD
    /// to be Established (and its resource served); compacts the history where the
    /// recorder waited for etcd's compaction. Polls the RBAC cache needs are no-ops
    /// (the test server's RBAC is immediate); other polls repeat the step itself.
    private mutating func honour(note: String, before index: Int) async {
        if note.contains("compaction") {
            await server.faults.compactHistory()
        }
        if note.contains("Established") { await waitForEstablished(before: index) }
    }

    private func waitForEstablished(before index: Int) async {
        guard let crd = (0..<index).reversed().lazy.compactMap({ step -> ReplayJSON? in
            let request = recording.steps[step].request
            guard request["method"]?.string == "POST", request["path"]?.string?.hasSuffix("/customresourcedefinitions") ?? false,
                let body = responses[step]["body"], body["kind"]?.string == "CustomResourceDefinition"
            else { return nil }
            return body
        }).first, let name = crd["metadata"]?["name"]?.string
        else { return }
        let deadline = ContinuousClock.now + options.pollLimit
        let get = ReplayClient.Request(
            method: "GET", path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/\(name)", query: "", accept: "application/json",
            contentType: nil, body: nil, bearer: nil, certificate: true, watch: false, watchLimit: .seconds(10))
        while ContinuousClock.now < deadline {
            if let response = try? await client.send(get), let conditions = response.json?["status"]?["conditions"]?.array,
                conditions.contains(where: { $0["type"]?.string == "Established" && $0["status"]?.string == "True" })
            {
                break
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        guard let group = crd["spec"]?["group"]?.string, let plural = crd["spec"]?["names"]?["plural"]?.string,
            let version = crd["spec"]?["versions"]?.array?.first(where: { $0["served"]?.bool ?? false })?["name"]?.string
        else { return }
        let list = ReplayClient.Request(
            method: "GET", path: "/apis/\(group)/\(version)/\(plural)", query: "limit=1", accept: "application/json", contentType: nil, body: nil,
            bearer: nil, certificate: true, watch: false, watchLimit: .seconds(10))
        while ContinuousClock.now < deadline {
            if let response = try? await client.send(list), response.status == 200 { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: - Helpers

    private static func document(_ response: ReplayedResponse) -> ReplayJSON {
        var headers: [(key: String, value: ReplayJSON)] = []
        if let type = response.contentType { headers.append((key: "Content-Type", value: .string(type))) }
        let body: ReplayJSON
        if response.isWatch {
            body = response.events.map(ReplayJSON.array) ?? .string(response.bodyText)
        } else {
            body = response.json ?? .string(response.bodyText)
        }
        return .object([(key: "status", value: .number(String(response.status))), (key: "headers", value: .object(headers)), (key: "body", value: body)])
    }

    private static func collectStrings(_ value: ReplayJSON, into set: inout Set<String>) {
        switch value {
        case .string(let text): set.insert(text)
        case .array(let items): for item in items { collectStrings(item, into: &set) }
        case .object(let members): for member in members { collectStrings(member.value, into: &set) }
        default: break
        }
    }

    private static func collectGenerateNames(_ value: ReplayJSON, into names: inout [String]) {
        switch value {
        case .array(let items): for item in items { collectGenerateNames(item, into: &names) }
        case .object(let members):
            for member in members {
                if member.key == "generateName", let prefix = member.value.string, !names.contains(prefix) { names.append(prefix) }
                collectGenerateNames(member.value, into: &names)
            }
        default: break
        }
    }
}
