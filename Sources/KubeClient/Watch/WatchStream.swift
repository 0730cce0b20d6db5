import AsyncAlgorithms
import Foundation
import KubeCore
import KubeModels
import Logging
import NIOConcurrencyHelpers
import NIOCore

extension Api {
    /// Opens a watch (`GET ...?watch=true`): ADDED / MODIFIED / DELETED / BOOKMARK / ERROR events
    /// as the server sends them.
    ///
    /// - The connection opens on the first `next()`, with the token current at that moment
    ///   (so a watcher that reconnects after a rotation uses the new token).
    /// - The newline-delimited JSON is split correctly whatever the chunking.
    /// - Backpressure: the events of at most one received chunk wait for the consumer (they
    ///   are decoded together and handed over at once); the connection is not read further
    ///   until they are taken.
    /// - A stream silent for ``ClientConfig/Timeouts/watchIdle`` fails with
    ///   ``KubeError/Code/watchIdleTimeout`` (a dead connection).
    /// - The stream ends normally when the server ends the watch (its `timeoutSeconds`), after
    ///   an `ERROR` event (410 Gone: relist), or when the consuming task is cancelled or the
    ///   iterator dropped, which closes the connection.
    /// - A watch is never retried by the client: resuming is the caller's job (from the last
    ///   `resourceVersion` seen).
    public func watch(_ options: WatchOptions = WatchOptions(), logger: Logger? = nil) throws -> WatchStream<K> {
        let request = try negotiated(negotiated(try Self.built { () throws(RequestError) in try builder.watch(options) }, list: false))
        return WatchStream(client: client, request: request, logger: log(logger), idleTimeout: client.config.timeouts.watchIdle)
    }
}

/// The events of one watch request. See ``Api/watch(_:logger:)``.
public struct WatchStream<K: Codable & Sendable>: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<K>
    let client: KubeClient
    let request: KubeRequest
    let logger: Logger
    let idleTimeout: Duration

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(producer: WatchProducer(stream: self))
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private let producer: WatchProducer<K>
        private var batches: AsyncThrowingChannel<[WatchEvent<K>], any Error>.AsyncIterator
        private var batch: [WatchEvent<K>] = []
        private var index = 0

        init(producer: WatchProducer<K>) {
            self.producer = producer
            self.batches = producer.channel.makeAsyncIterator()
        }

        public mutating func next() async throws -> WatchEvent<K>? {
            if index < batch.count {
                if Task.isCancelled { return end() }
                defer { index += 1 }
                return batch[index]
            }
            producer.startIfNeeded()
            while true {
                guard let next = try await batches.next() else { return end() }
                if next.isEmpty { continue }
                batch = next
                index = 1
                return next[0]
            }
        }

        private mutating func end() -> WatchEvent<K>? {
            batch = []
            index = 0
            producer.cancel()
            return nil
        }
    }
}

/// Reads the response body in its own task and hands the decoded events of each chunk over
/// a rendezvous channel (one batch in flight). Dropping it cancels the task, which closes
/// the connection.
final class WatchProducer<K: Codable & Sendable>: Sendable {
    let channel = AsyncThrowingChannel<[WatchEvent<K>], any Error>()
    private let stream: WatchStream<K>
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let started = NIOLockedValueBoxBool()

    init(stream: WatchStream<K>) { self.stream = stream }

    func startIfNeeded() {
        guard started.setTrue() else { return }
        let channel = self.channel
        let stream = self.stream
        let handle = Task { await Self.run(stream: stream, channel: channel) }
        task.withLockedValue { $0 = handle }
    }

    func cancel() { task.withLockedValue { $0?.cancel() } }

    deinit {
        task.withLockedValue { $0?.cancel() }
    }

    /// When the last byte arrived, and whether the producer is waiting on the consumer
    /// (which is not a sign of a dead connection).
    private final class Activity: Sendable {
        private let state = NIOLockedValueBox((last: ContinuousClock.now, waiting: false))
        func touch(waiting: Bool = false) { state.withLockedValue { $0 = (ContinuousClock.now, waiting) } }
        func idle() -> Duration {
            state.withLockedValue { $0.waiting ? .zero : ContinuousClock.now - $0.last }
        }
    }

    private static func run(stream: WatchStream<K>, channel: AsyncThrowingChannel<[WatchEvent<K>], any Error>) async {
        let client = stream.client
        do {
            let exchange = try await client.exchange(stream.request, logger: stream.logger)
            let holder = LeaseHolder(transport: client.transport, lease: exchange.lease)
            defer { holder.release() }
            let activity = Activity()
            let idleTimeout = stream.idleTimeout
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var splitter = LineSplitter()
                    // `application/vnd.kubernetes.protobuf;stream=watch`: 4-byte length, then a WatchEvent.
                    let isProtobuf = exchange.response.headers.first(name: "Content-Type")?.hasPrefix("application/vnd.kubernetes.protobuf") == true
                    var frames = ProtobufFrameReader(maxFrameSize: splitter.maxLineLength)
                    let decode = EventDecoder<K>()
                    do {
                        for try await chunk in exchange.response.body {
                            activity.touch()
                            var batch: [WatchEvent<K>] = []
                            do {
                                if isProtobuf {
                                    frames.append(chunk.readableBytesView)
                                    while let frame = try Self.nextFrame(&frames) { batch.append(try decode(protobuf: frame)) }
                                } else {
                                    try splitter.forEachLine(in: chunk) { line in batch.append(try decode(line)) }
                                }
                            } catch {
                                // The events before a bad line are delivered, then the error.
                                if !batch.isEmpty { await channel.send(batch) }
                                throw error
                            }
                            guard !batch.isEmpty else { continue }
                            activity.touch(waiting: true)
                            await channel.send(batch)
                            activity.touch()
                            try Task.checkCancellation()
                        }
                        if isProtobuf, frames.hasPartialFrame {
                            throw KubeError(.decoding, "the protobuf watch stream ended inside a frame")
                        }
                        if let rest = splitter.finish() {
                            let event = try rest.withUnsafeBytes { try decode($0) }
                            await channel.send([event])
                        }
                    } catch is LineSplitter.LineTooLong {
                        throw KubeError(.responseTooLarge, "a watch event is longer than \(splitter.maxLineLength) bytes")
                    }
                }
                group.addTask {
                    let tick = max(idleTimeout / 4, .milliseconds(10))
                    while true {
                        try await Task.sleep(for: tick)
                        if activity.idle() >= idleTimeout {
                            throw KubeError(.watchIdleTimeout, "the watch received nothing for \(idleTimeout); closing it as a dead connection")
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
            channel.finish()
        } catch is CancellationError {
            channel.finish()
        } catch let error as KubeError {
            stream.logger.debug("watch ended with an error", metadata: ["error": "\(error)"])
            channel.fail(error)
        } catch {
            if Task.isCancelled {
                channel.finish()
                return
            }
            channel.fail(TransportFailure(error).error(server: client.config.server))
        }
    }
}

extension WatchProducer {
    static func nextFrame(_ frames: inout ProtobufFrameReader) throws -> [UInt8]? {
        do { return try frames.nextFrame() } catch {
            throw KubeError(.responseTooLarge, "a protobuf watch frame is not readable: \(error)")
        }
    }
}

/// Decodes one event line: with the generated reader when `K` has one (`WatchEvent<K>` is
/// then `JSONReadable`; the check is made once per stream), else with `JSONDecoder`;
/// failures are `.decoding` errors.
struct EventDecoder<K: Codable & Sendable> {
    private let readable = WatchEvent<K>.self as? any JSONReadable.Type
    private let decoder = JSONDecoder()

    func callAsFunction(_ line: UnsafeRawBufferPointer) throws -> WatchEvent<K> {
        if let readable {
            do { return try Self.read(readable, line) } catch {
                throw KubeError.decoding(error, what: "a watch event")
            }
        }
        do { return try decoder.decode(WatchEvent<K>.self, from: Data(line)) } catch {
            throw KubeError.decoding(error, what: "a watch event")
        }
    }

    /// One protobuf `WatchEvent` frame: read straight into the model when `K` has a reader, else
    /// transcoded to the JSON event and decoded.
    func callAsFunction(protobuf frame: [UInt8]) throws -> WatchEvent<K> {
        let schema = BuiltinProtobufSchema.schema
        if let readable {
            do {
                return try Self.readProtobuf(readable, frame)
            } catch {
                throw KubeError.decoding(error, what: "a protobuf watch event")
            }
        }
        do {
            let (type, object) = try schema.decodeWatchEvent(frame)
            let line = JSONText.bytes(.object(["type": .string(type), "object": object]))
            return try decoder.decode(WatchEvent<K>.self, from: Data(line))
        } catch {
            throw KubeError.decoding(error, what: "a protobuf watch event")
        }
    }

    private static func readProtobuf<R: JSONReadable>(_ type: R.Type, _ frame: [UInt8]) throws(JSONReadError) -> WatchEvent<K> {
        // `R` is `WatchEvent<K>` (see `readable`), so the cast cannot fail.
        try R.read(protobuf: frame, schema: BuiltinProtobufSchema.schema, message: "apimachinery.pkg.apis.meta.v1.WatchEvent") as! WatchEvent<K>
    }

    private static func read<R: JSONReadable>(_ type: R.Type, _ line: UnsafeRawBufferPointer) throws(JSONReadError) -> WatchEvent<K> {
        // `R` is `WatchEvent<K>` (see `readable`), so the cast cannot fail.
        try R.read(from: line) as! WatchEvent<K>
    }
}
