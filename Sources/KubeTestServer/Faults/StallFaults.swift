import Foundation
import NIOCore
import Synchronization

/// Pending "stall" faults: responses that never come, or stop coming part-way.
final class StallFaults: Sendable {
    enum Kind: Sendable, Hashable {
        /// Accept the request and never send a response head.
        case head
        /// Send the head and the first `afterBytes` bytes of the body, then nothing.
        case body(afterBytes: Int)
    }

    struct Rule: Sendable {
        var kind: Kind
        var remaining: Int
        var pathContains: String?
        /// Only watch requests (`true`), only other requests (`false`), or any (`nil`).
        var watches: Bool?
    }

    private struct State {
        var rules: [Rule] = []
        var served = 0
    }

    private let state = Mutex(State())

    func add(_ rule: Rule) {
        guard rule.remaining > 0 else { return }
        state.withLock { $0.rules.append(rule) }
    }

    /// The stall for this request, if one is pending (consumes it).
    func take(path: String, isWatch: Bool) -> Kind? {
        state.withLock { state in
            guard
                let index = state.rules.firstIndex(where: { rule in
                    rule.remaining > 0 && (rule.pathContains.map(path.contains) ?? true) && (rule.watches.map { $0 == isWatch } ?? true)
                })
            else { return nil }
            state.rules[index].remaining -= 1
            let kind = state.rules[index].kind
            if state.rules[index].remaining == 0 { state.rules.remove(at: index) }
            state.served += 1
            return kind
        }
    }

    /// How many responses have been stalled so far.
    var served: Int { state.withLock { $0.served } }

    func clear() { state.withLock { $0.rules = [] } }

    /// Waits until the request's task is cancelled (the client closed the stream or connection).
    static func waitUntilCancelled() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
    }

    /// `response` cut after `afterBytes` bytes of its body: the head (with the full
    /// `Content-Length` of a complete body) and that prefix are sent, then the stream stays
    /// open with nothing more until the client gives up. A streamed body (a watch) sends its head only.
    static func stalled(_ response: ServerResponse, afterBytes: Int) -> ServerResponse {
        var headers = response.headers
        var cut = Data()
        if case .data(let data) = response.body {
            headers.removeAll { $0.0.lowercased() == "content-length" }
            headers.append(("Content-Length", "\(data.count)"))
            cut = Data(data.prefix(max(0, min(afterBytes, data.count - 1))))
        }
        let prefix = cut
        let sent = SentOnce()
        let body = AsyncStream<ServerResponse.StreamChunk>(unfolding: {
            if !prefix.isEmpty, sent.first() { return .data(prefix) }
            await waitUntilCancelled()
            return nil
        })
        return ServerResponse(status: response.status, headers: headers, body: .stream(body))
    }

    private final class SentOnce: Sendable {
        private let done = Mutex(false)
        func first() -> Bool {
            done.withLock { done in
                defer { done = true }
                return !done
            }
        }
    }
}

/// Every open connection of every listener, so a fault can black-hole the established ones.
final class ConnectionFaults: Sendable {
    private let connections = Mutex<[ObjectIdentifier: (listener: Int, channel: any Channel)]>([:])

    /// Tracks `channel` (an accepted connection with a ``BlackHoleHandler``) until it closes.
    func register(_ channel: any Channel, listener: Int) {
        let id = ObjectIdentifier(channel)
        connections.withLock { $0[id] = (listener, channel) }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.connections.withLock { $0.removeValue(forKey: id) }
        }
    }

    /// Black-holes every open connection (of `listener`, when given) but `except`; returns how many.
    func blackHole(listener: Int?, except: ObjectIdentifier?) async -> Int {
        let targets = connections.withLock { connections in
            connections.filter { id, entry in id != except && (listener.map { $0 == entry.listener } ?? true) }.map { $0.value.channel }
        }
        var count = 0
        for channel in targets {
            if await BlackHoleHandler.engage(channel) { count += 1 }
        }
        return count
    }
}
