/// The messages of a ``ProtobufSchema`` laid out in plain memory for the direct reader
/// (``JSONReader`` over protobuf): fixed-size records and one byte buffer of field names, so
/// the decoding loop touches no reference-counted value. Built once per schema; never mutated.
final class ProtobufFastTable: @unchecked Sendable {
    enum Kind: UInt8 { case string, bytes, bool, int32, int64, uint32, uint64, double, float, message }

    struct Field {
        var number: Int32
        var kind: Kind
        var repeated: Bool
        var isMap: Bool
        var inline: Bool
        var mapKey: Kind
        /// The message of a `.message` value (also a map's value), else -1.
        var message: Int32
        var nameStart: Int32
        var nameCount: Int32
        /// ``JSONKey/hash(_:_:)`` of the name: generated readers switch on it.
        var hash: UInt64
    }

    struct Message {
        var form: ProtobufSchema.Form
        /// Field number `n` of this message is `fields[slots[firstSlot + n]]` when
        /// `n < slotCount` and the slot is not -1.
        var firstSlot: Int32
        var slotCount: Int32
        /// A `list` message: its repeated field (index into `fields`), else -1.
        var listField: Int32
    }

    let fields: UnsafeMutablePointer<Field>
    let slots: UnsafeMutablePointer<Int32>
    let messages: UnsafeMutablePointer<Message>
    let names: UnsafeMutablePointer<UInt8>
    let fieldCount: Int, slotTotal: Int, messageCount: Int, nameBytes: Int

    init(_ schema: ProtobufSchema.Messages) {
        func kind(_ type: ProtobufSchema.FieldType) -> (Kind, Int32) {
            switch type {
            case .string: return (.string, -1)
            case .bytes: return (.bytes, -1)
            case .bool: return (.bool, -1)
            case .int32: return (.int32, -1)
            case .int64: return (.int64, -1)
            case .uint32: return (.uint32, -1)
            case .uint64: return (.uint64, -1)
            case .double: return (.double, -1)
            case .float: return (.float, -1)
            case .message(let index): return (.message, Int32(index))
            }
        }
        var nameText: [UInt8] = []
        var fieldList: [Field] = []
        var slotList: [Int32] = []
        var messageList: [Message] = []
        for message in schema {
            let first = Int32(slotList.count)
            let fieldBase = fieldList.count
            var listField: Int32 = -1
            for field in message.fields {
                let (valueKind, valueMessage) = kind(field.type)
                let name = Array(field.name.utf8)
                let nameStart = Int32(nameText.count)
                nameText.append(contentsOf: name)
                let hash = name.withUnsafeBufferPointer { buffer in
                    JSONKey.hash(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
                }
                if field.repeated, field.mapKey == nil, listField < 0 { listField = Int32(fieldList.count) }
                fieldList.append(Field(
                    number: Int32(field.number), kind: valueKind, repeated: field.repeated, isMap: field.mapKey != nil,
                    inline: field.inline, mapKey: field.mapKey.map { kind($0).0 } ?? .string, message: valueMessage,
                    nameStart: nameStart, nameCount: Int32(name.count), hash: hash))
            }
            for slot in message.byNumber { slotList.append(slot < 0 ? -1 : Int32(fieldBase + slot)) }
            messageList.append(Message(
                form: message.form, firstSlot: first, slotCount: Int32(message.byNumber.count),
                listField: message.form == .list ? listField : -1))
        }
        func copy<T>(_ list: [T]) -> UnsafeMutablePointer<T> {
            let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(list.count, 1))
            list.withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress { pointer.initialize(from: base, count: buffer.count) }
            }
            return pointer
        }
        fields = copy(fieldList)
        slots = copy(slotList)
        messages = copy(messageList)
        names = copy(nameText)
        fieldCount = fieldList.count
        slotTotal = slotList.count
        messageCount = messageList.count
        nameBytes = nameText.count
    }

    deinit {
        fields.deinitialize(count: fieldCount)
        fields.deallocate()
        slots.deallocate()
        messages.deinitialize(count: messageCount)
        messages.deallocate()
        names.deallocate()
    }

    /// The index into `fields` of field `number` of `message`, or -1.
    @inline(__always)
    func slot(_ message: Int, _ number: Int) -> Int {
        let record = messages[message]
        guard number < Int(record.slotCount) else { return -1 }
        return Int(slots[Int(record.firstSlot) + number])
    }

    /// The key the readers see for a field: its JSON name.
    @inline(__always)
    func key(_ field: Int) -> JSONKey {
        let record = fields[field]
        return JSONKey(start: names + Int(record.nameStart), count: Int(record.nameCount), hash: record.hash, unescaped: nil)
    }
}
