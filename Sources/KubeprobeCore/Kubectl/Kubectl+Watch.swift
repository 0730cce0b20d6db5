import Foundation
import KubeClient
import KubeCore

/// What one `watch` run should do.
struct WatchRequest: Sendable {
    var resource: String
    var name: String?
    var namespace: String?
    var allNamespaces = false
    var selector: LabelSelector?
    var format: ObjectFormat = .table
    /// Stop after this long; `nil` runs until cancelled.
    var duration: Duration?
    /// Stop after this many ADDED/MODIFIED/DELETED events (the initial list not counted); `nil` for no limit.
    var maxEvents: Int?
    /// Print the current objects first (kubectl `get -w`).
    var listFirst = true
}

extension Kubectl {
    /// Lists, then watches from the list's resourceVersion, printing every change as a table
    /// row (with an EVENT column) or a JSON line. A watch the server ends or a connection that
    /// breaks is resumed from the last resourceVersion seen (a 410 relists), so a token
    /// rotation or an API server restart costs no event.
    /// - Returns: the number of change events printed.
    @discardableResult
    func watch(_ request: WatchRequest, onReconnect: @Sendable (String) -> Void = { _ in }) async throws -> Int {
        let info = try await resolve(request.resource)
        let scope: String? = info.namespaced ? (request.allNamespaces ? nil : (request.namespace ?? client.namespace)) : nil
        let api = DynamicApi(client, resource: info.descriptor, namespace: scope)
        let fieldSelector: FieldSelector? = try request.name.map { name in
            do { return try FieldSelector(parsing: "metadata.name=\(name)") } catch { throw ProbeError(.usage, "bad name \"\(name)\": \(error)") }
        }
        let table = ResourceTable(resource: info, wide: request.format == .wide, showNamespace: request.allNamespaces && info.namespaced)
        let deadline = request.duration.map { ContinuousClock.now + $0 }
        var printedHeader = false
        func emit(_ type: String, _ object: DynamicObject) {
            switch request.format {
            case .json, .yaml:
                let event: JSONValue = ["type": .string(type), "object": object.jsonValue]
                console.line(Self.compactJSON(event))
            case .name:
                console.line("\(type) \(Self.qualifiedName(object, info: info))")
            case .table, .wide:
                if !printedHeader {
                    console.line(Self.streamingRow(["EVENT"] + table.header))
                    printedHeader = true
                }
                console.line(Self.streamingRow([type] + table.row(object)))
            }
        }

        var resourceVersion: String?
        var events = 0
        var needsList = true
        var failures = 0
        while true {
            try Task.checkCancellation()
            if let deadline, ContinuousClock.now >= deadline { return events }
            if needsList {
                let list = try await api.list(ListOptions(labelSelector: request.selector, fieldSelector: fieldSelector))
                if request.listFirst && resourceVersion == nil { for object in list.items { emit("ADDED", object) } }
                resourceVersion = list.metadata.resourceVersion
                needsList = false
            }
            let remaining = deadline.map { max(1, Int((($0 - ContinuousClock.now).milliseconds / 1000).rounded(.up))) }
            let stream = try api.watch(WatchOptions(
                labelSelector: request.selector, fieldSelector: fieldSelector, resourceVersion: resourceVersion,
                timeoutSeconds: remaining.map { min($0, 300) } ?? 300))
            do {
                for try await event in stream {
                    switch event {
                    case .added(let object), .modified(let object), .deleted(let object):
                        resourceVersion = object.metadata.resourceVersion ?? resourceVersion
                        emit(event.type.rawValue, object)
                        events += 1
                        failures = 0
                        if let maxEvents = request.maxEvents, events >= maxEvents { return events }
                    case .bookmark(let bookmark):
                        resourceVersion = bookmark.resourceVersion
                    case .error(let status):
                        if status.code == 410 {
                            onReconnect("the server expired resourceVersion \(resourceVersion ?? "?") (410); relisting")
                            needsList = true
                        } else {
                            throw KubeError(status: status)
                        }
                    }
                    if let deadline, ContinuousClock.now >= deadline { return events }
                }
            } catch let error as KubeError where error.code == .transport || error.code == .watchIdleTimeout || error.code == .timeout {
                failures += 1
                guard failures <= 5 else { throw error }
                onReconnect("the watch connection broke; resuming from resourceVersion \(resourceVersion ?? "?")")
                try await Task.sleep(for: .milliseconds(200 * failures))
            }
        }
    }

    /// Rows of a table printed as they arrive: fixed column widths (wider cells push the rest right).
    static func streamingRow(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == cells.count - 1 ? cell : cell.padding(toLength: max(cell.count + 3, index == 0 ? 11 : 22), withPad: " ", startingAt: 0)
        }.joined()
    }
}
