import Foundation

/// `resource.Quantity`: a fixed-point number with an optional suffix, as in
/// `500m`, `1.5`, `128Mi`, `2G`, `1e3`.
///
/// Parsing accepts every Kubernetes form: binary suffixes `Ki Mi Gi Ti Pi Ei`,
/// decimal suffixes `n u m k M G T P E`, and decimal exponents `e`/`E`
/// (`1e3`, `5E-3`). Quantities compare and hash by value (`1Ki == 1024`);
/// ``canonical`` is the string kube-apiserver would store (`Quantity.String()`);
/// encoding writes the text as it was given. Like kube-apiserver, precision
/// below `1n` is rounded up.
public struct Quantity: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// How a quantity was written, which is how its canonical form is written.
    public enum Format: Sendable, Hashable {
        /// A power-of-two suffix (`Ki`, `Mi`, ...).
        case binarySI
        /// A decimal suffix or none (`m`, `k`, `M`, ...).
        case decimalSI
        /// A decimal exponent (`1e3`).
        case decimalExponent
    }

    /// The exact value.
    public let value: Decimal
    public let format: Format
    /// The text as parsed; what encoding writes.
    public let text: String

    /// Parses a quantity; throws ``QuantityError`` for anything Kubernetes would reject.
    public init(_ text: String) throws(QuantityError) {
        let (value, format) = try Self.parse(text)
        self.value = value
        self.format = format
        self.text = text
    }

    /// A quantity from an integer, in decimal form (`Quantity(3)` is `"3"`).
    public init(_ value: Int64) {
        self.value = Decimal(value)
        self.format = .decimalSI
        self.text = String(value)
    }

    public var description: String { text }

    public static func == (lhs: Quantity, rhs: Quantity) -> Bool { lhs.value == rhs.value }
    public static func < (lhs: Quantity, rhs: Quantity) -> Bool { lhs.value < rhs.value }

    public func hash(into hasher: inout Hasher) {
        // The decimal canonical form is the same for every spelling of a value.
        hasher.combine(Self.decimalForm(value, exponentStyle: false))
    }

    /// The value as a `Double` (approximate for very large or precise values).
    public var doubleValue: Double { NSDecimalNumber(decimal: value).doubleValue }

    /// The canonical string, as kube-apiserver's `Quantity.String()` writes it:
    /// `1.5` → `1500m`, `2048Mi` → `2Gi`, `1000` → `1k`, `0.5Ki` → `512`.
    public var canonical: String {
        if value == 0 { return "0" }
        switch format {
        case .binarySI:
            if value > -1024, value < 1024 { return Self.decimalForm(value, exponentStyle: false) }
            guard Self.isInteger(value) else { return Self.decimalForm(value, exponentStyle: false) }
            let magnitude = abs(value)
            let suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
            var power = 0
            var mantissa = magnitude
            while power < 6 {
                let next = mantissa / 1024
                guard Self.isInteger(next) else { break }
                mantissa = next
                power += 1
            }
            return (value < 0 ? "-" : "") + Self.integerText(mantissa) + suffixes[power]
        case .decimalSI:
            return Self.decimalForm(value, exponentStyle: false)
        case .decimalExponent:
            return Self.decimalForm(value, exponentStyle: true)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let string = try? container.decode(String.self) {
            text = string
        } else if let integer = try? container.decode(Int64.self) {
            text = String(integer)
        } else if let number = try? container.decode(Double.self), number.isFinite {
            text = String(number)
        } else {
            throw DecodingError.typeMismatch(
                Quantity.self,
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "expected a quantity string or number"))
        }
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// A string that is not a Kubernetes quantity.
public struct QuantityError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        case empty
        case noDigits
        case unknownSuffix(String)
        case tooPrecise
    }

    private let code: Code
    /// The rejected text.
    public let text: String

    private init(_ code: Code, _ text: String) {
        self.code = code
        self.text = text
    }

    static func empty(_ text: String) -> QuantityError { QuantityError(.empty, text) }
    static func noDigits(_ text: String) -> QuantityError { QuantityError(.noDigits, text) }
    static func unknownSuffix(_ suffix: String, _ text: String) -> QuantityError { QuantityError(.unknownSuffix(suffix), text) }
    static func tooPrecise(_ text: String) -> QuantityError { QuantityError(.tooPrecise, text) }

    public var description: String {
        switch code {
        case .empty: "invalid quantity: empty string"
        case .noDigits: "invalid quantity \"\(text)\": expected a number"
        case .unknownSuffix(let suffix): "invalid quantity \"\(text)\": unknown suffix \"\(suffix)\""
        case .tooPrecise: "invalid quantity \"\(text)\": too many digits"
        }
    }
}

extension Quantity {
    private static func parse(_ text: String) throws(QuantityError) -> (Decimal, Format) {
        guard !text.isEmpty else { throw .empty(text) }
        let bytes = Array(text.utf8)
        var index = 0
        var negative = false
        if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var seenPoint = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                digits.append(byte)
                if seenPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else {
                break
            }
            index += 1
        }
        guard !digits.isEmpty else { throw .noDigits(text) }
        let suffix = String(decoding: bytes[index...], as: UTF8.self)
        // Drop leading zeros; Decimal keeps 38 significant digits.
        while digits.count > 1, digits[0] == UInt8(ascii: "0") { digits.removeFirst() }
        guard digits.count <= 38 else { throw .tooPrecise(text) }
        var exponent = -fractionDigits
        var format = Format.decimalSI
        var binaryPower = 0
        if let power = decimalSuffix(suffix) {
            exponent += power
        } else if let power = binarySuffix(suffix) {
            binaryPower = power
            format = .binarySI
        } else if let first = suffix.first, first == "e" || first == "E", let power = Int(suffix.dropFirst()), abs(power) <= 100 {
            exponent += power
            format = .decimalExponent
        } else {
            throw .unknownSuffix(suffix, text)
        }
        // Fast path: the digits (times the binary power) fit in 63 bits and no
        // rounding below 1n is needed — the usual `100m`, `256Mi`, `1.5Gi`.
        if digits.count <= 18, exponent >= -9 {
            var small: UInt64 = 0
            for digit in digits { small = small * 10 + UInt64(digit - UInt8(ascii: "0")) }
            if binaryPower == 0 || small.leadingZeroBitCount > binaryPower + 1 {
                let significand = Decimal(small << UInt64(binaryPower))
                return (Decimal(sign: negative ? .minus : .plus, exponent: exponent, significand: significand), format)
            }
        }
        var mantissa = Decimal(0)
        for digit in digits { mantissa = mantissa * 10 + Decimal(Int(digit - UInt8(ascii: "0"))) }
        var value = Decimal(sign: negative ? .minus : .plus, exponent: exponent, significand: mantissa)
        if binaryPower > 0 { value *= Decimal(UInt64(1) << UInt64(binaryPower)) }
        // Kubernetes keeps nano precision and rounds anything finer up (away from zero).
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 9, .up)
        return (rounded, format)
    }

    private static func decimalSuffix(_ suffix: String) -> Int? {
        switch suffix {
        case "": 0
        case "m": -3
        case "k": 3
        case "M": 6
        case "G": 9
        case "T": 12
        case "u": -6
        case "n": -9
        case "P": 15
        case "E": 18
        default: nil
        }
    }

    private static func binarySuffix(_ suffix: String) -> Int? {
        switch suffix {
        case "Mi": 20
        case "Gi": 30
        case "Ki": 10
        case "Ti": 40
        case "Pi": 50
        case "Ei": 60
        default: nil
        }
    }

    private static func isInteger(_ value: Decimal) -> Bool {
        var copy = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &copy, 0, .plain)
        return rounded == value
    }

    private static func integerText(_ value: Decimal) -> String {
        NSDecimalNumber(decimal: value).stringValue
    }

    /// `mantissa` × 10^`exponent` with the exponent a multiple of 3 (at least -9)
    /// and as large as possible, written with an SI suffix or as `e<exponent>`.
    fileprivate static func decimalForm(_ value: Decimal, exponentStyle: Bool) -> String {
        if value == 0 { return "0" }
        var mantissa = abs(value) * Decimal(sign: .plus, exponent: 9, significand: 1)
        var exponent = -9
        while true {
            let next = mantissa / 1000
            guard isInteger(next), next != 0 else { break }
            mantissa = next
            exponent += 3
        }
        if !exponentStyle, exponent > 18 {
            mantissa *= Decimal(sign: .plus, exponent: exponent - 18, significand: 1)
            exponent = 18
        }
        let sign = value < 0 ? "-" : ""
        if exponentStyle {
            return sign + integerText(mantissa) + (exponent == 0 ? "" : "e\(exponent)")
        }
        let suffix = [-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"][exponent] ?? ""
        return sign + integerText(mantissa) + suffix
    }
}
