import KubeCore
import Logging

/// Every object of a list, fetched page by page (`limit` + `continue`) as it is consumed.
///
/// When a continue token expires (410 Gone: the list took longer than the server keeps
/// its snapshot, about five minutes), the list restarts once from the beginning, like
/// client-go's pager; objects already produced are not produced again (matched by
/// namespace and name). A second expiry is thrown.
public struct ListAllSequence<K: KubeObject>: AsyncSequence, Sendable {
    public typealias Element = K
    let api: Api<K>
    let options: ListOptions
    let pageSize: Int
    let logger: Logger?

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sequence: self) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private let sequence: ListAllSequence
        private var page: [K] = []
        private var index = 0
        private var continueToken: String?
        private var started = false
        private var restarted = false
        private var produced: Set<String> = []

        init(sequence: ListAllSequence) { self.sequence = sequence }

        public mutating func next() async throws -> K? {
            while true {
                while index < page.count {
                    let item = page[index]
                    index += 1
                    let key = "\(item.metadata.namespace ?? "")/\(item.metadata.name ?? "")"
                    if restarted {
                        if produced.contains(key) { continue }
                    }
                    produced.insert(key)
                    return item
                }
                if started && (continueToken?.isEmpty ?? true) { return nil }
                try await fetch()
            }
        }

        private mutating func fetch() async throws {
            var options = sequence.options
            options.limit = Swift.max(1, sequence.pageSize)
            if let continueToken {
                // The continue token carries the snapshot; the server rejects it with a resourceVersion.
                options.continueToken = continueToken
                options.resourceVersion = nil
                options.resourceVersionMatch = nil
            }
            do {
                let list = try await sequence.api.list(options, logger: sequence.logger)
                started = true
                page = list.items
                index = 0
                continueToken = list.metadata.continue
            } catch let error as KubeError where error.isGone && continueToken != nil && !restarted {
                (sequence.logger ?? sequence.api.client.logger).info("continue token expired; restarting the list once")
                restarted = true
                continueToken = nil
                started = false
                page = []
                index = 0
                try await fetch()
            }
        }
    }
}
