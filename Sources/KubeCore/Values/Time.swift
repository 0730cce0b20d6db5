import Foundation

/// A Kubernetes timestamp: RFC 3339 in UTC on the wire, with a fixed number of
/// fractional digits (``Time``: none, ``MicroTime``: six). Decoding accepts any number of
/// fractional digits and any offset, as kube-apiserver does.
///
/// Both types share every behaviour through this protocol; they differ only in
/// ``fractionalDigits``, as `metav1.Time` and `metav1.MicroTime` do.
public protocol KubeTimestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, JSONReadable {
    /// The digits after the seconds written on encode.
    static var fractionalDigits: Int { get }
    var date: Date { get set }
    init(_ date: Date)
}

extension KubeTimestamp {
    public static func now() -> Self { Self(Date()) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.date < rhs.date }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = RFC3339.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid RFC 3339 time \"\(text)\"")
        }
        self.init(date)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public var description: String { RFC3339.format(date, fractionalDigits: Self.fractionalDigits) }

    @inlinable
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        self.init(try reader.readTimestamp())
    }
}

/// A Kubernetes `Time`: an RFC 3339 timestamp with second precision on the wire
/// (`2024-05-01T12:00:00Z`).
public struct Time: KubeTimestamp {
    public static let fractionalDigits = 0
    public var date: Date

    public init(_ date: Date) { self.date = date }
}

/// A Kubernetes `MicroTime`: RFC 3339 with microseconds (`2024-05-01T12:00:00.123456Z`),
/// used by Events and Leases.
public struct MicroTime: KubeTimestamp {
    public static let fractionalDigits = 6
    public var date: Date

    public init(_ date: Date) { self.date = date }
}

/// RFC 3339 parsing and formatting without `DateFormatter` (fast, locale-free).
package enum RFC3339 {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `nil` when malformed.
    package static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// Parses the UTF-8 bytes of a timestamp (no `String` needed).
    package static func parse(bytes utf8: UnsafeBufferPointer<UInt8>) -> Date? {
        guard utf8.count >= 20 else { return nil }
        func number(_ start: Int, _ length: Int) -> Int? {
            var value = 0
            for index in start..<(start + length) {
                let byte = utf8[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), utf8[4] == UInt8(ascii: "-"),
            let month = number(5, 2), utf8[7] == UInt8(ascii: "-"),
            let day = number(8, 2), utf8[10] == UInt8(ascii: "T") || utf8[10] == UInt8(ascii: "t"),
            let hour = number(11, 2), utf8[13] == UInt8(ascii: ":"),
            let minute = number(14, 2), utf8[16] == UInt8(ascii: ":"),
            let second = number(17, 2)
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var fraction = 0.0
        if index < utf8.count, utf8[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < utf8.count, utf8[index] >= 48, utf8[index] <= 57 {
                fraction += Double(utf8[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < utf8.count else { return nil }
        var offset = 0
        switch utf8[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == utf8.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == utf8.count, utf8[index + 3] == UInt8(ascii: ":"),
                let offsetHours = number(index + 1, 2), let offsetMinutes = number(index + 4, 2)
            else { return nil }
            offset = (offsetHours * 3600 + offsetMinutes * 60) * (utf8[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    package static func format(_ date: Date, fractionalDigits: Int) -> String {
        let interval = date.timeIntervalSince1970
        var whole = Int(interval.rounded(.down))
        var fraction = interval - Double(whole)
        if fractionalDigits > 0 {
            let scale = pow(10.0, Double(fractionalDigits))
            var scaled = (fraction * scale).rounded()
            if scaled >= scale { whole += 1; scaled = 0 }
            fraction = scaled
        }
        let days = whole >= 0 ? whole / 86_400 : (whole - 86_399) / 86_400
        let secondsOfDay = whole - days * 86_400
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        var result = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
        result += "\(pad(secondsOfDay / 3600, 2)):\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2))"
        if fractionalDigits > 0 { result += "." + pad(Int(fraction), fractionalDigits) }
        return result + "Z"
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
