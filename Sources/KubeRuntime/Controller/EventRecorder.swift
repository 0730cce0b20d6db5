import Foundation
import KubeClient
import KubeCore
import KubeModels
import Logging
import Synchronization

/// Records Kubernetes Events (`events.k8s.io/v1`) about objects, aggregated like
/// client-go's recorder: the same (object, type, reason, action, note) within
/// ``aggregationWindow`` updates the existing Event's `series` (count, last observed
/// time) instead of creating another. It remembers at most `cacheSize` recent events (the
/// least recently used are forgotten; client-go: 4096), so memory stays bounded however many
/// distinct notes a long-running operator records. Failures to record are logged, never thrown:
/// events are best-effort by design.
public final class EventRecorder: Sendable {
    public enum EventType: String, Sendable { case normal = "Normal", warning = "Warning" }

    private let client: KubeClient
    private let controller: String
    private let instance: String
    private let logger: Logger
    /// How long an identical event counts as a repeat.
    public let aggregationWindow: Duration

    private let seen: Mutex<EventAggregator>

    /// - Parameters:
    ///   - controller: `reportingController`, e.g. `example.com/mirror-controller`.
    ///   - instance: `reportingInstance`, e.g. the pod name.
    ///   - cacheSize: how many distinct recent events are remembered for aggregation.
    public init(
        client: KubeClient, controller: String, instance: String, aggregationWindow: Duration = .seconds(6 * 60), cacheSize: Int = 4096,
        logger: Logger? = nil
    ) {
        self.client = client
        self.controller = controller
        self.instance = instance
        self.aggregationWindow = aggregationWindow
        self.seen = Mutex(EventAggregator(window: aggregationWindow, capacity: cacheSize))
        self.logger = logger ?? client.logger
    }

    /// Records an event about `object` (which must have a name and, for namespaced objects, a namespace).
    public func record<K: KubeResource>(_ type: EventType, reason: String, action: String, note: String, regarding object: K) async {
        let namespace = object.metadata.namespace ?? "default"
        let objectName = object.metadata.name ?? ""
        let key = EventAggregator.Key(uid: object.metadata.uid ?? "\(K.kind)/\(namespace)/\(objectName)", namespace: namespace, type: type.rawValue, reason: reason, action: action, note: note)
        let now = ContinuousClock.now
        let decision = seen.withLock { $0.decide(key, now: now) }
        let api = Api<Events.V1.Event>.namespaced(client, namespace)
        do {
            if case .patch(let name, let count) = decision {
                let series: JSONValue = ["series": ["count": .int(Int64(count)), "lastObservedTime": .string(MicroTime.now().description)]]
                _ = try await api.patch(name, .merge(series))
                return
            }
            let event = Events.V1.Event(
                action: action, eventTime: MicroTime.now(),
                metadata: ObjectMeta(name: "\(objectName).\(String(UInt64(Date().timeIntervalSince1970 * 1e9), radix: 16))", namespace: namespace),
                note: String(note.prefix(1024)), reason: reason,
                regarding: Core.V1.ObjectReference(
                    apiVersion: K.apiVersion, kind: K.kind, name: objectName, namespace: object.metadata.namespace,
                    resourceVersion: object.metadata.resourceVersion, uid: object.metadata.uid),
                reportingController: controller, reportingInstance: instance, type: type.rawValue)
            let created = try await api.create(event)
            seen.withLock { $0.created(key, name: created.metadata.name ?? "", now: now) }
        } catch {
            logger.warning("could not record event", metadata: ["reason": "\(reason)", "error": "\(error)"])
        }
    }

    /// How many distinct recent events are remembered now (at most `cacheSize`).
    var rememberedEventCount: Int { seen.withLock { $0.count } }
}
