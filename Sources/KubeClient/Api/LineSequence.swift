import AsyncHTTPClient
import KubeCore
import Logging
import NIOCore

/// The lines of a streamed response body (a followed pod log), read as the consumer asks
/// for them: nothing is buffered beyond the chunk being split (the connection's flow
/// control is the backpressure). Dropping the iterator or cancelling the task closes the
/// connection.
public struct LineSequence: AsyncSequence, Sendable {
    public typealias Element = String
    let client: KubeClient
    let request: KubeRequest
    let logger: Logger

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(sequence: self)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private let sequence: LineSequence
        private var body: HTTPClientResponse.Body.AsyncIterator?
        private var holder: LeaseHolder?
        private var splitter = LineSplitter()
        private var ready: [[UInt8]] = []
        private var index = 0
        private var done = false

        init(sequence: LineSequence) { self.sequence = sequence }

        public mutating func next() async throws -> String? {
            while index >= ready.count {
                if done { return nil }
                if body == nil {
                    let exchange = try await sequence.client.exchange(sequence.request, logger: sequence.logger)
                    holder = LeaseHolder(transport: sequence.client.transport, lease: exchange.lease)
                    body = exchange.response.body.makeAsyncIterator()
                }
                let chunk: ByteBuffer?
                do { chunk = try await body?.next() } catch {
                    finish()
                    throw TransportFailure(error).error(server: sequence.client.config.server)
                }
                ready = []
                index = 0
                if let chunk {
                    do { ready = try splitter.append(chunk) } catch {
                        finish()
                        throw KubeError(.responseTooLarge, "a line of the stream is longer than \(splitter.maxLineLength) bytes")
                    }
                } else {
                    if let last = splitter.finish() { ready = [last] }
                    finish()
                }
            }
            defer { index += 1 }
            return String(decoding: ready[index], as: UTF8.self)
        }

        private mutating func finish() {
            done = true
            body = nil
            holder?.release()
            holder = nil
        }
    }
}

/// Returns a transport lease exactly once: when the stream ends or the iterator is dropped.
final class LeaseHolder: Sendable {
    private let transport: Transport
    private let lease: Transport.Lease
    private let released = NIOLockedValueBoxBool()

    init(transport: Transport, lease: Transport.Lease) {
        self.transport = transport
        self.lease = lease
    }

    func release() {
        if released.setTrue() { transport.release(lease) }
    }

    deinit { release() }
}

import NIOConcurrencyHelpers

/// A flag that flips once.
final class NIOLockedValueBoxBool: Sendable {
    private let box = NIOLockedValueBox(false)
    /// `true` for the caller that flipped it.
    func setTrue() -> Bool {
        box.withLockedValue { value in
            defer { value = true }
            return !value
        }
    }
}
