import Foundation
import KubeCore
import Synchronization

/// list and watch: selectors, pagination, resourceVersion semantics, streaming.
extension APIServer {
    /// Field selectors kube-apiserver supports beyond `metadata.name` and `metadata.namespace`.
    static func supportedFieldSelectors(_ resource: ServedResource) -> Set<String> {
        var fields: Set<String> = ["metadata.name", "metadata.namespace"]
        switch (resource.group, resource.plural) {
        case ("", "pods"):
            fields.formUnion(["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
                              "status.phase", "status.podIP", "status.nominatedNodeName"])
        case ("", "secrets"): fields.insert("type")
        case ("", "events"):
            fields.formUnion(["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                              "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                              "reason", "reportingComponent", "source", "type"])
        case ("events.k8s.io", "events"):
            fields = Set(StorageConversion.eventsV1FieldLabels.keys)
        case ("", "namespaces"): fields.insert("status.phase")
        case ("", "nodes"): fields.insert("spec.unschedulable")
        case ("", "replicationcontrollers"), ("apps", "replicasets"): fields.insert("status.replicas")
        case ("batch", "jobs"): fields.insert("status.successful")
        case ("", "services"): fields.formUnion(["spec.clusterIP", "spec.type"])
        default: break
        }
        return fields
    }

    func listFilter(_ request: ServerRequest, info: RequestInfo, resource: ServedResource) throws(APIError) -> ObjectFilter {
        var filter = ObjectFilter()
        if resource.namespaced && !info.namespace.isEmpty { filter.namespace = info.namespace }
        if let text = request.queryValue("labelSelector") {
            do {
                filter.labelSelector = try LabelSelector(parsing: text)
            } catch {
                throw APIError.badRequest(error.message)
            }
        }
        if let text = request.queryValue("fieldSelector") {
            let selector: FieldSelector
            do {
                selector = try FieldSelector(parsing: text)
            } catch {
                throw APIError.badRequest(error.message)
            }
            let supported = Self.supportedFieldSelectors(resource).union(registry.customTraits(resource)?.selectableFields ?? [])
            // Kinds with their own field label conversion (pods, secrets, custom resources, ...) and
            // the default `metadata.*` conversion word an unknown field differently.
            let ownConversion = registry.isCustom(resource) || supported.count > 2
            for var requirement in selector.requirements {
                guard supported.contains(requirement.field) else {
                    throw APIError.badRequest(
                        ownConversion ? "field label not supported: \(requirement.field)"
                            : "\"\(requirement.field)\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
                }
                // Selectors address the stored (core) form: `source` is the component, and
                // events.k8s.io's labels map to core fields (regarding.name → involvedObject.name).
                var storedField = requirement.field
                if requirement.field == "source" && resource.group.isEmpty { storedField = "source.component" }
                if resource.group == "events.k8s.io", let mapped = StorageConversion.eventsV1FieldLabels[requirement.field] {
                    storedField = mapped
                }
                if storedField != requirement.field {
                    requirement = (requirement.equals ? FieldSelector.equals(storedField, requirement.value)
                        : FieldSelector.notEquals(storedField, requirement.value)).requirements[0]
                }
                filter.fieldRequirements.append(requirement)
            }
        }
        return filter
    }

    /// kube's `ValidateListOptions` for a list (not a watch): 422 `ListOptions.meta.k8s.io "" is invalid: …`.
    static func validateListOptions(_ request: ServerRequest, resourceVersion rv: String, match: String, continueToken: String?) throws(APIError) {
        var errors: [StatusCause] = []
        if !match.isEmpty {
            if rv.isEmpty { errors.append(FieldError.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided")) }
            if continueToken != nil { errors.append(FieldError.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided")) }
            if match != "Exact" && match != "NotOlderThan" {
                errors.append(StatusCause(
                    reason: "FieldValueNotSupported", message: "Unsupported value: \"\(match)\": supported values: \"Exact\", \"NotOlderThan\", \"\"",
                    field: "resourceVersionMatch"))
            }
            if match == "Exact" && rv == "0" {
                errors.append(FieldError.forbidden("resourceVersionMatch", "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""))
            }
        }
        if request.queryValue("sendInitialEvents") != nil { errors.append(FieldError.forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list")) }
        if !errors.isEmpty { throw APIError.invalid(kind: "ListOptions", group: "meta.k8s.io", name: "", causes: errors) }
    }

    private func parseRevision(_ text: String) throws(APIError) -> Int64 {
        guard let value = Int64(text), value >= 0 else {
            throw APIError.badRequest("resourceVersion: Invalid value: \"\(text)\": must be a non-negative integer")
        }
        return value
    }

    func list(_ request: ServerRequest, info: RequestInfo, resource: ServedResource) async throws(APIError) -> ServerResponse {
        let filter = try listFilter(request, info: info, resource: resource)
        var limit = 0
        if let text = request.queryValue("limit") {
            // kube parses an int64; zero and negative values mean no limit.
            guard let value = Int64(text) else { throw APIError.badRequest("strconv.ParseInt: parsing \"\(text)\": invalid syntax") }
            limit = value > 0 ? Int(clamping: value) : 0
        }
        let rv = request.queryValue("resourceVersion") ?? ""
        let match = request.queryValue("resourceVersionMatch") ?? ""
        let continueToken = request.queryValue("continue").flatMap { $0.isEmpty ? nil : $0 }
        try Self.validateListOptions(request, resourceVersion: rv, match: match, continueToken: continueToken)
        if continueToken != nil && !rv.isEmpty && rv != "0" {
            throw APIError.badRequest("specifying resource version is not allowed when using continue")
        }
        var read = ListRead.current
        switch match {
        case "":
            if !rv.isEmpty && rv != "0" { read = .notOlderThan(try parseRevision(rv)) }
        case "NotOlderThan":
            let value = try parseRevision(rv)
            read = value == 0 ? .current : .notOlderThan(value)
        default:
            read = .exact(try parseRevision(rv))
        }
        if match.isEmpty && rv == "0" { limit = 0 }  // served from the "cache": kube ignores limit there
        let page = try await store.list(resource, filter: filter, read: read, limit: limit, continueToken: continueToken)
        var meta: [String: JSONValue] = ["resourceVersion": .string(String(page.resourceVersion))]
        if let token = page.continueToken { meta["continue"] = .string(token) }
        if let remaining = page.remainingItemCount { meta["remainingItemCount"] = .int(remaining) }
        let items = try await served(page.items, resource: resource, list: true).map { present($0, resource: resource) }
        switch try ResponseForm.negotiate(request, list: true, watch: false) {
        case .table(let version):
            let table = try await tableOutput(request, version: version, resource: resource)
            return .json(200, JSONWriter.data(table.table(items, listMetadata: .object(meta))))
        case .metadata(let version):
            return .json(200, JSONWriter.data(PartialObjectMetadata.list(items, version: version, meta: meta)))
        case .json, .yaml:
            return .json(200, value: listJSON(items, resource: resource, meta: meta))
        }
    }

    // MARK: - Watch

    func watch(_ request: ServerRequest, info: RequestInfo, resource: ServedResource) async throws(APIError) -> ServerResponse {
        let filter = try listFilter(request, info: info, resource: resource)
        let rv = request.queryValue("resourceVersion") ?? ""
        let bookmarks = request.queryFlag("allowWatchBookmarks")
        var timeout = configuration.watchTimeout
        if let text = request.queryValue("timeoutSeconds") {
            // kube decodes the query parameter with strconv.ParseInt and answers its error.
            guard let seconds = Int(text) else { throw APIError.badRequest("strconv.ParseInt: parsing \"\(text)\": invalid syntax") }
            guard seconds >= 0 else { throw APIError.badRequest("timeoutSeconds: Invalid value: \"\(text)\": must be a non-negative integer") }
            if seconds > 0 { timeout = .seconds(seconds) }
        }
        let sendInitialEvents: Bool? = request.queryValue("sendInitialEvents").map { $0 == "true" || $0 == "1" }
        let start: WatchStart
        if sendInitialEvents == true {
            guard request.queryValue("resourceVersionMatch") == "NotOlderThan" else {
                throw APIError.invalid(kind: "ListOptions", group: "meta.k8s.io", name: "", causes: [
                    FieldError.forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
                ])
            }
            // Without allowWatchBookmarks the initial events come without the closing bookmark (recorded).
            start = .initialState(endBookmark: bookmarks)
        } else if rv.isEmpty || rv == "0" {
            start = sendInitialEvents == false ? .after(await store.revision) : .initialState(endBookmark: false)
        } else {
            // The watch cache parses the revision itself and fails with a bare 500 (no reason).
            guard let value = Int64(rv), value >= 0 else {
                var error = APIError(code: 500, reason: "", message: "resourceVersion: Invalid value: \"\(rv)\": strconv.ParseUint: parsing \"\(rv)\": invalid syntax")
                error.status.reason = nil
                throw error
            }
            start = .after(value)
        }
        // `kubectl get -w` watches with the Table Accept header: each event's object is a one-row Table.
        let form = try ResponseForm.negotiate(request, list: true, watch: true)
        var table: TableOutput?
        if case .table(let version) = form { table = try await tableOutput(request, version: version, resource: resource) }
        // Like kube, only the first Table event of a watch carries the column definitions.
        let columnsSent = OnceFlag()
        let encoder = WatchEncoder(resource: resource, sharesEncodings: form == .json, presenter: { [self, table] object in
            let presented = present(object, resource: resource)
            if case .metadata(let version) = form { return PartialObjectMetadata.object(presented, version: version) }
            guard let table else { return presented }
            var rendered = table.table([presented], listMetadata: ["resourceVersion": presented["metadata"]?["resourceVersion"] ?? ""])
            if !columnsSent.takeFirst() { rendered["columnDefinitions"] = .null }
            return rendered
        })
        if faults.takeWatchExpiry() {
            let current = await store.revision
            let error = APIError.tooOldResourceVersion(Int64(rv) ?? current, oldest: current)
            let (chunks, continuation) = AsyncStream<ServerResponse.StreamChunk>.makeStream()
            continuation.yield(.data(encoder.encode(.error(error))))
            continuation.finish()
            return ServerResponse(status: 200, headers: Self.watchHeaders, body: .stream(chunks))
        }
        let (id, events) = await store.watch(resource.storageResource, filter: filter, start: start)
        let (chunks, continuation) = AsyncStream<ServerResponse.StreamChunk>.makeStream()
        let store = self.store
        let bookmarkInterval = configuration.bookmarkInterval
        let timer = Task {
            let deadline = ContinuousClock.now + timeout
            while !Task.isCancelled {
                let next = min(deadline, ContinuousClock.now + bookmarkInterval)
                try? await Task.sleep(until: next)
                if Task.isCancelled { return }
                if ContinuousClock.now >= deadline {
                    await store.endWatch(id)
                    return
                }
                if bookmarks { await store.bookmark(id) }
            }
        }
        let converts = converter.needsWebhook(resource.groupResource)
        let producer = Task {
            // Each batch from the store (the whole replay, or one live event) is written in
            // chunks of up to `watchChunkBytes`: one write and TLS record per chunk, not per event.
            batches: for await batch in events {
                // Custom objects whose CRD converts through a webhook: one review per batch; a
                // failed conversion ends the watch with an ERROR event.
                let outputs = converts ? await self.servedWatchOutputs(batch, resource: resource) : batch
                var chunk: [UInt8] = []
                var stop = false
                for output in outputs {
                    if case .bookmark = output, !bookmarks { continue }
                    if case .cut = output {
                        if !chunk.isEmpty { continuation.yield(.data(Data(chunk))) }
                        continuation.yield(.abort)
                        break batches
                    }
                    encoder.encode(output, into: &chunk)
                    if case .error = output {
                        stop = true
                        break
                    }
                    if chunk.count >= Self.watchChunkBytes {
                        continuation.yield(.data(Data(chunk)))
                        chunk.removeAll(keepingCapacity: true)
                    }
                }
                if !chunk.isEmpty { continuation.yield(.data(Data(chunk))) }
                if stop { break }
            }
            timer.cancel()
            continuation.finish()
        }
        continuation.onTermination = { _ in
            producer.cancel()
            timer.cancel()
            Task { await store.endWatch(id) }
        }
        return ServerResponse(status: 200, headers: Self.watchHeaders, body: .stream(chunks))
    }

    /// The size at which a watch response's write is cut (events are never split).
    static let watchChunkBytes = 64 << 10

    static let watchHeaders: [(String, String)] = [("Content-Type", "application/json"), ("Cache-Control", "no-cache, private")]
}

/// Turns watch outputs into kube's newline-delimited JSON events.
struct WatchEncoder: Sendable {
    let resource: ServedResource
    /// Whether `presenter` gives every watch of `resource` the same JSON (not a Table), so an
    /// event's encoding can be shared through its ``SerializedObject``.
    var sharesEncodings = false
    let presenter: @Sendable (JSONValue) -> JSONValue

    func encode(_ output: WatchOutput) -> Data {
        var bytes: [UInt8] = []
        encode(output, into: &bytes)
        return Data(bytes)
    }

    /// Appends the event's line (JSON and `\n`); nothing for `.cut`.
    func encode(_ output: WatchOutput, into out: inout [UInt8]) {
        let event: JSONValue
        switch output {
        case .event(let type, let object, let serialized):
            if sharesEncodings, let serialized {
                out.append(contentsOf: #"{"type":""#.utf8)
                out.append(contentsOf: type.utf8)
                out.append(contentsOf: #"","object":"#.utf8)
                out.append(contentsOf: serialized.bytes(apiVersion: resource.apiVersion) { JSONWriter.bytes(presenter(object)) })
                out.append(contentsOf: "}\n".utf8)
                return
            }
            event = ["type": .string(type), "object": presenter(object)]
        case .bookmark(let revision, let initialEventsEnd):
            var metadata: [String: JSONValue] = ["resourceVersion": .string(String(revision))]
            if initialEventsEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
            event = ["type": "BOOKMARK", "object": ["apiVersion": .string(resource.apiVersion), "kind": .string(resource.kind), "metadata": .object(metadata)]]
        case .error(let error):
            let status = (try? JSONValue(encoding: error.status)) ?? [:]
            event = ["type": "ERROR", "object": status]
        case .cut:
            return
        }
        JSONWriter.write(event, into: &out)
        out.append(UInt8(ascii: "\n"))
    }
}

/// `true` for the first caller only (thread-safe).
final class OnceFlag: Sendable {
    private let taken = Mutex(false)

    func takeFirst() -> Bool {
        taken.withLock { taken in
            defer { taken = true }
            return !taken
        }
    }
}
