import Foundation
import KubeCore
import Testing

@testable import KubeClient

/// Responses of `JSONReadable` types are read with the generated reader; the results and
/// the error shape (`.decoding`, naming the JSON path) match the `JSONDecoder` path.
@Suite(.timeLimit(.minutes(3))) struct FastDecodeTests {
    struct Plain: Decodable, Equatable { var a: Int }

    func client() throws -> KubeClient { try KubeClient(config: ClientConfig(server: "https://127.0.0.1:1")) }

    @Test func readableTypesDecodeLikeJSONDecoder() throws {
        let client = try client()
        let body = Data(#"{"a":[1,2],"b":[]}"#.utf8)
        let fast = try client.decode([String: [Int]].self, from: body, what: "x")
        #expect(fast == (try JSONDecoder().decode([String: [Int]].self, from: body)))
        #expect(try client.decode(Plain.self, from: Data(#"{"a":3}"#.utf8), what: "x") == Plain(a: 3))
    }

    @Test func readableTypeErrorsNameThePath() throws {
        let client = try client()
        let wrongType = #expect(throws: KubeError.self) {
            _ = try client.decode([String: [Int]].self, from: Data(#"{"a":[1,"two"]}"#.utf8), what: "the list")
        }
        #expect(wrongType?.code == .decoding)
        #expect(wrongType?.message.contains("the list does not decode: at a[1]:") == true, "\(wrongType?.message ?? "")")
        let truncated = #expect(throws: KubeError.self) {
            _ = try client.decode([String: Int].self, from: Data(#"{"a":1"#.utf8), what: "x")
        }
        #expect(truncated?.code == .decoding)
    }
}
