import Foundation

/// The value of the protobuf field the reader stands at (what `nextKey` would have left the
/// JSON reader in front of). Trivial payloads only: no reference counting while decoding.
enum ProtobufPending {
    case none
    /// A `string` or `bytes` field (kind tells which) or a type-meta string.
    case bytes(ProtobufFastTable.Kind, Range<Int>)
    /// A varint, fixed64 or fixed32 field of this kind.
    case number(ProtobufFastTable.Kind, UInt64)
    /// An embedded message (index into the table) and its bytes.
    case message(Int, Range<Int>)
    /// A repeated or map field: the table's field, where its first occurrence's key starts and
    /// where the enclosing message ends (later occurrences belong to the same value).
    case repeated(field: Int, start: Int, end: Int)
    /// A `k8s\0` + `runtime.Unknown` envelope.
    case envelope(Range<Int>)
}

/// The raw pointers of a ``ProtobufFastTable`` (the table itself is kept alive by the reader's
/// ``ProtobufSchema``).
struct ProtobufTables {
    let fields: UnsafeMutablePointer<ProtobufFastTable.Field>
    let slots: UnsafeMutablePointer<Int32>
    let messages: UnsafeMutablePointer<ProtobufFastTable.Message>
    let names: UnsafeMutablePointer<UInt8>

    init(_ table: ProtobufFastTable) {
        fields = table.fields
        slots = table.slots
        messages = table.messages
        names = table.names
    }

    @inline(__always)
    func slot(_ message: Int, _ number: Int) -> Int {
        let record = messages[message]
        guard number < Int(record.slotCount) else { return -1 }
        return Int(slots[Int(record.firstSlot) + number])
    }

    @inline(__always)
    func key(_ field: Int) -> JSONKey {
        let record = fields[field]
        return JSONKey(start: names + Int(record.nameStart), count: Int(record.nameCount), hash: record.hash, unescaped: nil)
    }

    func name(_ field: Int) -> String { key(field).string }
}

// Protobuf straight into the models: a reader made with `init(protobuf:schema:)` walks the
// message table instead of JSON text and presents each message as the object, each repeated
// field as the array and each map as the object the JSON of the same value has, so every
// generated `init(reading:)` (and the hand-written ones) reads protobuf unchanged: field
// names are the keys (with their precomputed hashes), `Time` reads seconds without text, and
// values with no direct form (raw JSON, `JSONSchemaProps` unions) go through the JSON
// transcoder. The result equals decoding the transcoded JSON: zero numbers and `false` are
// present, empty strings and zero timestamps absent.
extension JSONReader {
    /// A reader over a `k8s\0` + `runtime.Unknown` body (`application/vnd.kubernetes.protobuf`):
    /// the object reads with `apiVersion` and `kind` from the envelope.
    public init(protobuf buffer: UnsafeRawBufferPointer, schema: ProtobufSchema) {
        self.init(buffer)
        isProtobuf = true
        protobufSchema = schema
        protobufTables = ProtobufTables(schema.fast)
        pending = .envelope(0..<buffer.count)
    }

    /// A reader over one bare message of the named type (`apimachinery.pkg.apis.meta.v1.WatchEvent`).
    public init(protobuf buffer: UnsafeRawBufferPointer, schema: ProtobufSchema, message name: String) throws(JSONReadError) {
        self.init(protobuf: buffer, schema: schema)
        guard let message = schema.messageIndex[name] else { throw JSONReadError("no protobuf message \(name)", offset: 0) }
        pending = .message(message, 0..<buffer.count)
    }

    // MARK: the protobuf wire, on the reader's bytes

    @inline(__always)
    func pbVarint(_ index: inout Int, _ limit: Int) throws(JSONReadError) -> UInt64 {
        if index < limit, base[index] < 0x80 {
            defer { index &+= 1 }
            return UInt64(base[index])
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < limit {
            let byte = base[index]
            index &+= 1
            if shift == 63 && byte > 1 { throw JSONReadError("varint overflows 64 bits", offset: index) }
            result |= UInt64(byte & 0x7f) &<< shift
            if byte & 0x80 == 0 { return result }
            shift &+= 7
            if shift > 63 { throw JSONReadError("varint longer than 10 bytes", offset: index) }
        }
        throw JSONReadError("input ends inside a varint", offset: index)
    }

    @inline(__always)
    func pbLength(_ index: inout Int, _ limit: Int) throws(JSONReadError) -> Range<Int> {
        let length = try pbVarint(&index, limit)
        guard length <= UInt64(limit - index) else {
            throw JSONReadError("length \(length) runs past the end of the input", offset: index)
        }
        let start = index
        index &+= Int(length)
        return start..<index
    }

    @inline(__always)
    func pbFixed(_ index: inout Int, _ limit: Int, bytes: Int) throws(JSONReadError) -> UInt64 {
        guard limit - index >= bytes else { throw JSONReadError("input ends inside a fixed\(bytes * 8)", offset: index) }
        var value: UInt64 = 0
        for shift in 0..<bytes { value |= UInt64(base[index + shift]) &<< (8 * UInt64(shift)) }
        index &+= bytes
        return value
    }

    /// The next key: field number and wire type (checked).
    @inline(__always)
    func pbKey(_ index: inout Int, _ limit: Int) throws(JSONReadError) -> (Int, UInt8) {
        let start = index
        let key = try pbVarint(&index, limit)
        let number = key &>> 3
        guard number > 0, number < 1 << 29 else { throw JSONReadError("invalid field number \(number)", offset: start) }
        let wire = UInt8(key & 7)
        guard wire == 0 || wire == 1 || wire == 2 || wire == 5 else {
            throw JSONReadError("unsupported wire type \(wire) for field \(number)", offset: start)
        }
        return (Int(number), wire)
    }

    @inline(__always)
    func pbSkip(_ wire: UInt8, _ index: inout Int, _ limit: Int) throws(JSONReadError) {
        switch wire {
        case 0: _ = try pbVarint(&index, limit)
        case 1: _ = try pbFixed(&index, limit, bytes: 8)
        case 2: _ = try pbLength(&index, limit)
        default: _ = try pbFixed(&index, limit, bytes: 4)
        }
    }

    /// One occurrence of `field` (its key read) as a pending value.
    @inline(__always)
    func pbValue(_ field: ProtobufFastTable.Field, _ wire: UInt8, _ index: inout Int, _ limit: Int) throws(JSONReadError) -> ProtobufPending {
        switch field.kind {
        case .string, .bytes, .message:
            guard wire == 2 else {
                throw JSONReadError("expected wire type 2, got \(wire)", offset: index)
            }
            let range = try pbLength(&index, limit)
            if field.kind == .message, field.message >= 0 { return .message(Int(field.message), range) }
            return .bytes(field.kind == .string ? .string : .bytes, range)
        case .double:
            guard wire == 1 else { throw JSONReadError("expected wire type 1, got \(wire)", offset: index) }
            return .number(.double, try pbFixed(&index, limit, bytes: 8))
        case .float:
            guard wire == 5 else { throw JSONReadError("expected wire type 5, got \(wire)", offset: index) }
            return .number(.float, try pbFixed(&index, limit, bytes: 4))
        default:
            guard wire == 0 else { throw JSONReadError("expected wire type 0, got \(wire)", offset: index) }
            return .number(field.kind, try pbVarint(&index, limit))
        }
    }

    mutating func take() -> ProtobufPending {
        defer { pending = .none }
        return pending
    }

    var protobufMaxDepth: Int { ProtobufSchema.maxDepth }

    mutating func enterProtobuf() throws(JSONReadError) {
        depth += 1
        guard depth <= protobufMaxDepth else { throw error("messages nested deeper than \(protobufMaxDepth)") }
    }

    // MARK: objects

    @usableFromInline
    mutating func protobufObject(_ body: (inout JSONReader, JSONKey) throws(JSONReadError) -> Void) throws(JSONReadError) {
        let value = take()
        switch value {
        case .message(let message, let range):
            let form = protobufTables.unsafelyUnwrapped.messages[message].form
            if form == .object { return try protobufFields(message, range, typeMeta: nil, body) }
            if form == .raw, case let raw = try rawFieldRange(range), !raw.isEmpty {
                if isEnvelope(raw) { return try protobufEnvelope(raw, body) }
                return try withJSON(raw) { (reader: inout JSONReader) throws(JSONReadError) in try reader.readObject(body) }
            }
        case .envelope(let range):
            return try protobufEnvelope(range, body)
        case .repeated(let field, let start, let end) where protobufTables.unsafelyUnwrapped.fields[field].isMap:
            return try protobufMap(field, start, end, body)
        default:
            break
        }
        pending = value
        let json = JSONText.bytes(try protobufJSON())
        try withJSON(json) { (reader: inout JSONReader) throws(JSONReadError) in try reader.readObject(body) }
    }

    private func isEnvelope(_ range: Range<Int>) -> Bool {
        range.count >= 4 && base[range.lowerBound] == 0x6b && base[range.lowerBound + 1] == 0x38
            && base[range.lowerBound + 2] == 0x73 && base[range.lowerBound + 3] == 0
    }

    /// `body` over a nested plain JSON reader of the bytes at `range` of this reader's input.
    private func withJSON(_ range: Range<Int>, _ body: (inout JSONReader) throws(JSONReadError) -> Void) throws(JSONReadError) {
        var reader = JSONReader(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
        do throws(JSONReadError) {
            try body(&reader)
            try reader.expectEnd()
        } catch {
            throw JSONReadError(error.message, offset: error.offset + range.lowerBound, path: error.path)
        }
    }

    /// `body` over a plain JSON reader of `bytes` (a transcoded value).
    private func withJSON(_ bytes: [UInt8], _ body: (inout JSONReader) throws(JSONReadError) -> Void) throws(JSONReadError) {
        let offset = index
        let result: Result<Void, JSONReadError> = bytes.withUnsafeBytes { buffer in
            var reader = JSONReader(buffer)
            do throws(JSONReadError) {
                try body(&reader)
                return .success(())
            } catch {
                return .failure(JSONReadError(error.message, offset: offset, path: error.path))
            }
        }
        try result.get()
    }

    private mutating func protobufEnvelope(_ range: Range<Int>, _ body: (inout JSONReader, JSONKey) throws(JSONReadError) -> Void) throws(JSONReadError) {
        guard isEnvelope(range) else {
            throw JSONReadError("provided protobuf data is not prefixed with the Kubernetes magic number", offset: range.lowerBound)
        }
        var index = range.lowerBound + 4
        let end = range.upperBound
        var apiVersion = 0..<0, kind = 0..<0, raw = 0..<0, encoding = 0..<0
        while index < end {
            let (number, wire) = try pbKey(&index, end)
            guard wire == 2 else { try pbSkip(wire, &index, end); continue }
            let value = try pbLength(&index, end)
            switch number {
            case 1:
                var inner = value.lowerBound
                while inner < value.upperBound {
                    let (field, type) = try pbKey(&inner, value.upperBound)
                    guard type == 2 else { try pbSkip(type, &inner, value.upperBound); continue }
                    let text = try pbLength(&inner, value.upperBound)
                    if field == 1 { apiVersion = text } else if field == 2 { kind = text }
                }
            case 2: raw = value
            case 3: encoding = value
            default: break
            }
        }
        guard encoding.isEmpty else { throw JSONReadError("unsupported content encoding \(text(encoding))", offset: encoding.lowerBound) }
        let name = "\(text(apiVersion))/\(text(kind))"
        guard let message = protobufSchema.unsafelyUnwrapped.kinds[name] else {
            throw JSONReadError("no protobuf message for \(text(apiVersion)), Kind=\(text(kind))", offset: range.lowerBound)
        }
        try protobufFields(message, raw, typeMeta: (apiVersion, kind), body)
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
    }

    private static let apiVersionKey: StaticString = "apiVersion"
    private static let kindKey: StaticString = "kind"

    private static func staticKey(_ text: StaticString) -> JSONKey {
        JSONKey(start: text.utf8Start, count: text.utf8CodeUnitCount, hash: JSONKey.hash(text.utf8Start, text.utf8CodeUnitCount), unescaped: nil)
    }

    /// The fields of `message` at `range`, one `body` call per set field (a repeated field once,
    /// with all its occurrences; an embedded struct's fields as the message's own).
    private mutating func protobufFields(
        _ message: Int, _ range: Range<Int>, typeMeta: (Range<Int>, Range<Int>)?,
        _ body: (inout JSONReader, JSONKey) throws(JSONReadError) -> Void
    ) throws(JSONReadError) {
        let tables = protobufTables.unsafelyUnwrapped
        try enterProtobuf()
        defer { depth -= 1 }
        if let (apiVersion, kind) = typeMeta {
            for (key, value) in [(Self.staticKey(Self.apiVersionKey), apiVersion), (Self.staticKey(Self.kindKey), kind)] where !value.isEmpty {
                pending = .bytes(.string, value)
                try body(&self, key)
            }
        }
        var message = message
        var index = range.lowerBound
        var end = range.upperBound
        // Repeated fields already read whole (numbers below 64; higher ones in `consumedHigh`).
        var consumed: UInt64 = 0
        var consumedHigh: [Int] = []
        // Embedded structs being read: the enclosing (end, message, consumed), without allocating.
        var outer = InlineStack()
        while true {
            if index >= end {
                guard let (outerEnd, outerMessage, outerConsumed) = outer.pop() else { break }
                end = outerEnd
                message = outerMessage
                consumed = outerConsumed
                continue
            }
            let keyStart = index
            let (number, wire) = try pbKey(&index, end)
            let slot = tables.slot(message, number)
            if slot < 0 {
                try pbSkip(wire, &index, end)
                continue
            }
            let field = tables.fields[slot]
            if field.repeated {
                if number < 64 ? consumed & (1 &<< UInt64(number)) != 0 : consumedHigh.contains(number) {
                    try pbSkip(wire, &index, end)
                    continue
                }
                try pbSkip(wire, &index, end)
                pending = .repeated(field: slot, start: keyStart, end: end)
                resume = -1
                self.index = keyStart
                do { try body(&self, tables.key(slot)) } catch { throw error.under(tables.name(slot)) }
                if resume >= 0 {
                    index = resume
                    resume = -1
                    if number < 64 { consumed |= 1 &<< UInt64(number) } else { consumedHigh.append(number) }
                }
                continue
            }
            if field.message >= 0 {
                // A singular message field that occurs again: protobuf merges the occurrences, so
                // all of them are read at the first, as the transcoder merges them, and skipped later.
                if number < 64 ? consumed & (1 &<< UInt64(number)) != 0 : consumedHigh.contains(number) {
                    try pbSkip(wire, &index, end)
                    continue
                }
                var after = index
                try pbSkip(wire, &after, end)
                if pbOccurs(number, after, end) {
                    if number < 64 { consumed |= 1 &<< UInt64(number) } else { consumedHigh.append(number) }
                    try protobufMerged(slot, number, keyStart..<end, body)
                    index = after
                    continue
                }
            }
            if field.inline, field.message >= 0 {
                guard wire == 2 else { throw JSONReadError("an embedded message arrived with wire type \(wire)", offset: keyStart) }
                let inner = try pbLength(&index, end)
                guard outer.push((end, message, consumed)) else { throw error("embedded messages nested deeper than 4") }
                message = Int(field.message)
                index = inner.lowerBound
                end = inner.upperBound
                consumed = 0
                continue
            }
            do { pending = try pbValue(field, wire, &index, end) } catch { throw error.under(tables.name(slot)) }
            self.index = keyStart
            do { try body(&self, tables.key(slot)) } catch { throw error.under(tables.name(slot)) }
        }
        pending = .none
        self.index = range.upperBound
    }

    /// Whether field `number` occurs between `index` and `end` (`false` where the bytes are
    /// malformed before one: reading stops there with the error anyway).
    private func pbOccurs(_ number: Int, _ index: Int, _ end: Int) -> Bool {
        var index = index
        while index < end {
            guard let (found, wire) = try? pbKey(&index, end) else { return false }
            if found == number { return true }
            guard (try? pbSkip(wire, &index, end)) != nil else { return false }
        }
        return false
    }

    /// The singular message field at `slot`, every occurrence of it in `range` merged (through the
    /// transcoder, which merges as protobuf does): as one value, or, for an embedded struct, as
    /// the message's own fields.
    private mutating func protobufMerged(
        _ slot: Int, _ number: Int, _ range: Range<Int>, _ body: (inout JSONReader, JSONKey) throws(JSONReadError) -> Void
    ) throws(JSONReadError) {
        let tables = protobufTables.unsafelyUnwrapped
        let field = tables.fields[slot]
        let buffer = UnsafeRawBufferPointer(start: base, count: self.end)
        let merged: JSONValue
        do throws(ProtobufError) {
            merged = try protobufSchema.unsafelyUnwrapped.decodeMerged(
                ProtobufReader(buffer, range: range), number: number, message: Int(field.message), depth: depth)
        } catch {
            throw JSONReadError(error.message, offset: error.offset, path: error.path).under(tables.name(slot))
        }
        self.index = range.lowerBound
        pending = .none
        if field.inline {
            guard case .object = merged else { return }
            try withJSON(JSONText.bytes(merged)) { (reader: inout JSONReader) throws(JSONReadError) in try reader.readObject(body) }
        } else if merged != .null {
            let key = tables.key(slot)
            do {
                try withJSON(JSONText.bytes(merged)) { (reader: inout JSONReader) throws(JSONReadError) in try body(&reader, key) }
            } catch { throw error.under(tables.name(slot)) }
        }
    }

    /// A map field's entries (every occurrence from `start` to `end`), one `body` call each.
    private mutating func protobufMap(_ slot: Int, _ start: Int, _ end: Int, _ body: (inout JSONReader, JSONKey) throws(JSONReadError) -> Void) throws(JSONReadError) {
        let tables = protobufTables.unsafelyUnwrapped
        let field = tables.fields[slot]
        try enterProtobuf()
        defer { depth -= 1 }
        var index = start
        var runEnd = -1
        while index < end {
            let keyStart = index
            let (number, wire) = try pbKey(&index, end)
            guard number == Int(field.number) else {
                if runEnd < 0 { runEnd = keyStart }
                try pbSkip(wire, &index, end)
                continue
            }
            guard wire == 2 else { throw JSONReadError("a map entry arrived with wire type \(wire)", offset: keyStart) }
            let entry = try pbLength(&index, end)
            var inner = entry.lowerBound
            var key = Self.staticKey("")
            var value: ProtobufPending = field.kind == .message ? .message(Int(field.message), 0..<0)
                : field.kind == .string || field.kind == .bytes ? .bytes(field.kind, 0..<0) : .number(field.kind, 0)
            while inner < entry.upperBound {
                let (entryField, entryWire) = try pbKey(&inner, entry.upperBound)
                if entryField == 1 {
                    var keyField = field
                    keyField.kind = field.mapKey
                    keyField.message = -1
                    switch try pbValue(keyField, entryWire, &inner, entry.upperBound) {
                    case .bytes(_, let range):
                        key = JSONKey(start: base + range.lowerBound, count: range.count, hash: JSONKey.hash(base + range.lowerBound, range.count), unescaped: nil)
                    case .number(let kind, let bits):
                        let text = kind == .bool ? String(bits != 0) : String(Self.integer(kind, bits))
                        key = JSONKey(start: base, count: 0, hash: JSONKey.hash(text), unescaped: text)
                    default: break
                    }
                } else if entryField == 2 {
                    value = try pbValue(field, entryWire, &inner, entry.upperBound)
                } else {
                    try pbSkip(entryWire, &inner, entry.upperBound)
                }
            }
            pending = value
            self.index = keyStart
            do { try body(&self, key) } catch { throw error.under(key.string) }
        }
        pending = .none
        resume = runEnd < 0 ? end : runEnd
    }

    static func integer(_ kind: ProtobufFastTable.Kind, _ bits: UInt64) -> Int64 {
        switch kind {
        case .int32: return Int64(Int32(truncatingIfNeeded: bits))
        case .uint32: return Int64(UInt32(truncatingIfNeeded: bits))
        case .bool: return bits != 0 ? 1 : 0
        default: return Int64(truncatingIfNeeded: bits)
        }
    }

    // MARK: arrays

    @usableFromInline
    mutating func protobufArray(_ body: (inout JSONReader) throws(JSONReadError) -> Void) throws(JSONReadError) {
        let tables = protobufTables.unsafelyUnwrapped
        let value = take()
        switch value {
        case .repeated(let field, let start, let end) where !tables.fields[field].isMap:
            try protobufOccurrences(field, start, end, body)
            return
        case .message(let message, let range) where tables.messages[message].listField >= 0:
            let saved = resume
            try protobufOccurrences(Int(tables.messages[message].listField), range.lowerBound, range.upperBound, body)
            resume = saved
            return
        case .message(let message, let range) where tables.messages[message].form == .list:
            // A list message with no items.
            _ = range
            return
        default:
            break
        }
        pending = value
        let json = JSONText.bytes(try protobufJSON())
        try withJSON(json) { (reader: inout JSONReader) throws(JSONReadError) in try reader.readArray(body) }
    }

    /// Every occurrence of a repeated field from `start` to `end` (packed or not), one `body` call
    /// per element; leaves in `resume` where the enclosing message continues.
    private mutating func protobufOccurrences(_ slot: Int, _ start: Int, _ end: Int, _ body: (inout JSONReader) throws(JSONReadError) -> Void) throws(JSONReadError) {
        let field = protobufTables.unsafelyUnwrapped.fields[slot]
        try enterProtobuf()
        defer { depth -= 1 }
        var index = start
        var runEnd = -1
        var position = 0
        let packable = field.kind != .string && field.kind != .bytes && field.kind != .message
        while index < end {
            let keyStart = index
            let (number, wire) = try pbKey(&index, end)
            guard number == Int(field.number) else {
                if runEnd < 0 { runEnd = keyStart }
                try pbSkip(wire, &index, end)
                continue
            }
            if packable, wire == 2 {
                let packed = try pbLength(&index, end)
                var inner = packed.lowerBound
                var element = field
                element.repeated = false
                let elementWire: UInt8 = field.kind == .double ? 1 : field.kind == .float ? 5 : 0
                while inner < packed.upperBound {
                    do { pending = try pbValue(element, elementWire, &inner, packed.upperBound) } catch { throw error.under("[\(position)]") }
                    self.index = inner
                    do { try body(&self) } catch { throw error.under("[\(position)]") }
                    position += 1
                }
                continue
            }
            do { pending = try pbValue(field, wire, &index, end) } catch { throw error.under("[\(position)]") }
            self.index = keyStart
            do { try body(&self) } catch { throw error.under("[\(position)]") }
            position += 1
        }
        pending = .none
        resume = runEnd < 0 ? end : runEnd
    }
}

/// Up to four enclosing messages of embedded structs (kube nests them two deep at most).
struct InlineStack {
    private var levels: ((Int, Int, UInt64), (Int, Int, UInt64), (Int, Int, UInt64), (Int, Int, UInt64)) =
        ((0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0))
    private var count = 0

    /// `false` when full.
    mutating func push(_ level: (Int, Int, UInt64)) -> Bool {
        switch count {
        case 0: levels.0 = level
        case 1: levels.1 = level
        case 2: levels.2 = level
        case 3: levels.3 = level
        default: return false
        }
        count += 1
        return true
    }

    mutating func pop() -> (Int, Int, UInt64)? {
        guard count > 0 else { return nil }
        count -= 1
        switch count {
        case 0: return levels.0
        case 1: return levels.1
        case 2: return levels.2
        default: return levels.3
        }
    }
}
