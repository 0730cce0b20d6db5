import Foundation

/// A direct-mapped cache of strings and raw values read from one input, so that
/// repeated values share storage: fewer allocations while reading, less memory after.
/// (The `managedFields[].fieldsV1` of pods of one ReplicaSet are often byte-identical.)
@usableFromInline
final class StringTable {
    @usableFromInline static let minimumInput = 32 * 1024
    /// Shorter strings are stored inline in `String` anyway.
    @usableFromInline static let minimumLength = 16
    @usableFromInline static let maximumLength = 128
    @usableFromInline static let slotCount = 4096

    @usableFromInline let hashes: UnsafeMutablePointer<UInt64>
    @usableFromInline let slots: UnsafeMutablePointer<String>

    /// Raw values get one slot per 4 KB of input (at least 1,024, at most 16,384): equal
    /// values of a large list can be far apart.
    @usableFromInline
    init(inputSize: Int) {
        var blobSlots = 1024
        while blobSlots < 16384 && blobSlots * 4096 < inputSize { blobSlots *= 2 }
        blobSlotCount = blobSlots
        hashes = .allocate(capacity: Self.slotCount)
        hashes.initialize(repeating: 0, count: Self.slotCount)
        slots = .allocate(capacity: Self.slotCount)
        slots.initialize(repeating: "", count: Self.slotCount)
        blobHashes = .allocate(capacity: blobSlotCount)
        blobHashes.initialize(repeating: 0, count: blobSlotCount)
        blobs = .allocate(capacity: blobSlotCount)
        blobs.initialize(repeating: [], count: blobSlotCount)
    }

    @usableFromInline let blobSlotCount: Int
    /// Raw values shorter than this are not worth a lookup.
    @usableFromInline static let minimumBlob = 64
    @usableFromInline let blobHashes: UnsafeMutablePointer<UInt64>
    @usableFromInline let blobs: UnsafeMutablePointer<[UInt8]>

    deinit {
        slots.deinitialize(count: Self.slotCount)
        slots.deallocate()
        hashes.deallocate()
        blobs.deinitialize(count: blobSlotCount)
        blobs.deallocate()
        blobHashes.deallocate()
    }

    /// The bytes as an array, shared with an earlier equal raw value when the table has one.
    @inlinable
    func bytes(_ start: UnsafePointer<UInt8>, _ count: Int) -> [UInt8] {
        let hash = Self.contentHash(start, count) | 1  // 0 marks an empty slot
        let slot = Int(truncatingIfNeeded: hash &>> 17) & (blobSlotCount - 1)
        if blobHashes[slot] == hash {
            let existing = blobs[slot]
            let same = existing.withUnsafeBufferPointer { stored in
                stored.count == count && memcmp(stored.baseAddress!, start, count) == 0
            }
            if same { return existing }
        }
        let copy = Array(UnsafeBufferPointer(start: start, count: count))
        blobHashes[slot] = hash
        blobs[slot] = copy
        return copy
    }

    /// The stored raw value equal to these bytes, if the table has one.
    @usableFromInline
    func existingBytes(_ start: UnsafePointer<UInt8>, _ count: Int) -> [UInt8]? {
        let hash = Self.contentHash(start, count) | 1
        let slot = Int(truncatingIfNeeded: hash &>> 17) & (blobSlotCount - 1)
        guard blobHashes[slot] == hash else { return nil }
        let existing = blobs[slot]
        let same = existing.withUnsafeBufferPointer { stored in
            stored.count == count && memcmp(stored.baseAddress!, start, count) == 0
        }
        return same ? existing : nil
    }

    /// A hash of every byte (8 at a time), for values that often share their ends.
    @inlinable
    static func contentHash(_ start: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        let raw = UnsafeRawPointer(start)
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(truncatingIfNeeded: count)
        var offset = 0
        while offset + 8 <= count {
            hash = (hash ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))) &* 0x9E37_79B9_7F4A_7C15
            hash = (hash &<< 31) | (hash &>> 33)
            offset += 8
        }
        while offset < count {
            hash = (hash ^ UInt64(start[offset])) &* 0x0000_0100_0000_01B3
            offset += 1
        }
        return hash ^ (hash &>> 29)
    }

    @inlinable
    func string(_ start: UnsafePointer<UInt8>, _ count: Int) -> String {
        let hash = JSONKey.hash(start, count) | 1  // 0 marks an empty slot
        let slot = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
        if hashes[slot] == hash {
            let existing = slots[slot]
            let same = existing.utf8.withContiguousStorageIfAvailable { stored in
                stored.count == count && memcmp(stored.baseAddress!, start, count) == 0
            }
            if same == true { return existing }
        }
        let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
        hashes[slot] = hash
        slots[slot] = text
        return text
    }
}
