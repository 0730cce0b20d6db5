import KubeClient
import KubeCore
import Logging
import ServiceLifecycle
import Synchronization

/// Hands out one ``Informer`` per resource type, namespace and selector, so every part of
/// a program that watches the same thing shares one watch and one cache (client-go's
/// `SharedInformerFactory`).
///
/// Run the factory as a `Service`: it runs every informer it has handed out, including
/// those asked for after it started.
public final class SharedInformerFactory: ServiceLifecycle.Service, Sendable {
    private let client: KubeClient
    private let logger: Logger
    private let state = Mutex(State())
    private let additions: (stream: AsyncStream<@Sendable () async throws -> Void>, continuation: AsyncStream<@Sendable () async throws -> Void>.Continuation)

    private struct State {
        var informers: [String: any Sendable] = [:]
    }

    public init(client: KubeClient, logger: Logger? = nil) {
        self.client = client
        self.logger = logger ?? client.logger
        self.additions = AsyncStream.makeStream()
    }

    /// The shared informer for `K` in `namespace` (`nil`: all namespaces, or cluster-scoped)
    /// with the selectors of `config`. The first caller's other settings win.
    public func informer<K: KubeResource>(_ type: K.Type, namespace: String?, config: WatcherConfig = WatcherConfig()) -> Informer<K> {
        let key = [
            K.apiVersion, K.kind, K.namespaced ? (namespace ?? "*") : "", config.labelSelector?.description ?? "",
            config.fieldSelector?.description ?? "",
        ].joined(separator: "|")
        let (informer, isNew): (Informer<K>, Bool) = state.withLock { state in
            if let existing = state.informers[key] as? Informer<K> { return (existing, false) }
            let api = Api<K>(client, resource: K.descriptor, namespace: namespace)
            let informer = Informer(api: api, config: config, logger: logger)
            state.informers[key] = informer
            return (informer, true)
        }
        if isNew { additions.continuation.yield { try await informer.run() } }
        return informer
    }

    /// How many distinct informers (watches) the factory runs.
    public var count: Int { state.withLock { $0.informers.count } }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for await runner in additions.stream.cancelOnGracefulShutdown() {
                group.addTask { try await runner() }
            }
            group.cancelAll()
        }
    }
}
