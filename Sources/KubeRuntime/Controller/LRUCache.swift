/// A fixed-capacity map that forgets the least recently used entry when full (client-go's
/// `golang-lru`, as its event recorder uses it). Reads through ``subscript(_:)`` count as use.
/// O(1) per operation; nodes live in one array and are reused, so memory is bounded by `capacity`.
struct LRUCache<Key: Hashable, Value> {
    fileprivate struct Node {
        var key: Key
        var value: Value
        var newer: Int?
        var older: Int?
    }

    let capacity: Int
    private var nodes: [Node] = []
    private var index: [Key: Int] = [:]
    private var newest: Int?
    private var oldest: Int?

    init(capacity: Int) {
        precondition(capacity > 0, "an LRU cache needs room for one entry")
        self.capacity = capacity
    }

    var count: Int { index.count }

    /// The value for `key`, marking it most recently used. Entries leave only by eviction.
    subscript(key: Key) -> Value? {
        mutating get {
            guard let slot = index[key] else { return nil }
            touch(slot)
            return nodes[slot].value
        }
    }

    /// Stores `value` for `key` as the most recently used entry, evicting the oldest when full.
    mutating func set(_ key: Key, _ value: Value) {
        if let slot = index[key] {
            nodes[slot].value = value
            touch(slot)
            return
        }
        let slot: Int
        if index.count < capacity {
            slot = nodes.count
            nodes.append(Node(key: key, value: value, newer: nil, older: nil))
        } else {
            // Reuse the oldest node.
            slot = oldest!
            unlink(slot)
            index[nodes[slot].key] = nil
            nodes[slot] = Node(key: key, value: value, newer: nil, older: nil)
        }
        index[key] = slot
        pushNewest(slot)
    }

    private mutating func touch(_ slot: Int) {
        guard newest != slot else { return }
        unlink(slot)
        pushNewest(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let (newer, older) = (nodes[slot].newer, nodes[slot].older)
        if let newer { nodes[newer].older = older } else { newest = older }
        if let older { nodes[older].newer = newer } else { oldest = newer }
        nodes[slot].newer = nil
        nodes[slot].older = nil
    }

    private mutating func pushNewest(_ slot: Int) {
        nodes[slot].older = newest
        nodes[slot].newer = nil
        if let newest { nodes[newest].newer = slot }
        newest = slot
        if oldest == nil { oldest = slot }
    }
}

extension LRUCache: Sendable where Key: Sendable, Value: Sendable {}
extension LRUCache.Node: Sendable where Key: Sendable, Value: Sendable {}
