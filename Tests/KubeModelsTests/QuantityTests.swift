import Foundation
import KubeModels
import Testing

@Suite(.timeLimit(.minutes(3))) struct QuantityTests {
    @Test(arguments: [
        ("1", "1"), ("0", "0"), ("500m", "500m"), ("1.5", "1500m"), ("0.5", "500m"), ("1000", "1k"), ("1500", "1500"),
        ("12000", "12k"), ("100n", "100n"), ("1u", "1u"), ("2k", "2k"), ("3M", "3M"), ("4G", "4G"), ("5T", "5T"),
        ("6P", "6P"), ("7E", "7E"), ("1Ki", "1Ki"), ("128Mi", "128Mi"), ("2048Mi", "2Gi"), ("1536Mi", "1536Mi"),
        ("1Gi", "1Gi"), ("1Ti", "1Ti"), ("1Pi", "1Pi"), ("1Ei", "1Ei"), ("0.5Ki", "512"), ("1e3", "1e3"),
        ("1E3", "1e3"), ("1.5e3", "1500"), ("5e-3", "5e-3"), ("-1", "-1"), ("-500m", "-500m"), ("+3", "3"),
        ("0.0000000001", "1n"), ("1.", "1"), (".5", "500m"), ("001", "1"),
    ])
    func canonicalForm(input: String, canonical: String) throws {
        let quantity = try Quantity(input)
        #expect(quantity.canonical == canonical, "\(input)")
        #expect(quantity.description == input)
    }

    @Test func comparesByValue() throws {
        #expect(try Quantity("1Ki") == Quantity("1024"))
        #expect(try Quantity("1") == Quantity("1000m"))
        #expect(try Quantity("1k") == Quantity("1e3"))
        #expect(try Quantity("1G") < Quantity("1Gi"))
        #expect(try Quantity("100m") < Quantity("1"))
        #expect(try Quantity("-1") < Quantity("0"))
        #expect(try Set([Quantity("1Ki"), Quantity("1024"), Quantity("1.024k")]).count == 1)
        #expect(try Quantity("2Mi").value == 2_097_152)
        #expect(try Quantity("250m").doubleValue == 0.25)
    }

    /// Values on both sides of the 63-bit fast path agree with exact decimal arithmetic.
    @Test func largeAndPreciseValuesAreExact() throws {
        #expect(try Quantity("999999999999999999").value == Decimal(string: "999999999999999999"))
        #expect(try Quantity("9999999999999999999").value == Decimal(string: "9999999999999999999"))
        #expect(try Quantity("8191Ei").value == Decimal(8191) * Decimal(UInt64(1) << 60))
        #expect(try Quantity("8192Ei").value == Decimal(8192) * Decimal(UInt64(1) << 60))
        #expect(try Quantity("123456789012Pi").value == Decimal(123_456_789_012) * Decimal(UInt64(1) << 50))
        #expect(try Quantity("1.5Gi") == Quantity("1536Mi"))
        #expect(try Quantity("0.1n").value == Decimal(string: "0.000000001"))
        #expect(try Quantity("-0.5Ki").value == -512)
    }

    @Test(arguments: ["", "abc", "1Zi", "1.2.3", "m", "1 Gi", "1gi", "--1", "1e", "1ee3", "0x10", "Mi"])
    func rejectsInvalid(input: String) {
        #expect(throws: QuantityError.self) { try Quantity(input) }
    }

    @Test func codable() throws {
        struct Holder: Codable { var q: Quantity }
        let decoded = try JSONDecoder().decode(Holder.self, from: Data(#"{"q":"1.5Gi"}"#.utf8))
        #expect(decoded.q.canonical == "1536Mi")
        #expect(String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self) == #"{"q":"1.5Gi"}"#)
        let number = try JSONDecoder().decode(Holder.self, from: Data(#"{"q":2}"#.utf8))
        #expect(number.q == Quantity(2))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Holder.self, from: Data(#"{"q":"12 apples"}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Holder.self, from: Data(#"{"q":true}"#.utf8)) }
    }
}

@Suite(.timeLimit(.minutes(3))) struct IntOrStringTests {
    @Test func decodesBothForms() throws {
        let values = try JSONDecoder().decode([IntOrString].self, from: Data(#"[8080,"http","25%"]"#.utf8))
        #expect(values == [.int(8080), .string("http"), .string("25%")])
        #expect(String(decoding: try JSONEncoder().encode(values), as: UTF8.self) == #"[8080,"http","25%"]"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([IntOrString].self, from: Data("[true]".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([IntOrString].self, from: Data("[1.5]".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([IntOrString].self, from: Data("[4294967296]".utf8)) }
    }

    @Test func scalesPercentages() throws {
        #expect(try IntOrString.string("25%").scaled(total: 10, roundUp: true) == 3)
        #expect(try IntOrString.string("25%").scaled(total: 10, roundUp: false) == 2)
        #expect(try IntOrString.int(4).scaled(total: 10, roundUp: false) == 4)
        #expect(throws: IntOrStringError.self) { try IntOrString.string("http").scaled(total: 10, roundUp: true) }
    }
}
