import Foundation
import Testing

/// Rules the test suites themselves must keep, checked over the sources so a new suite cannot
/// forget them: every suite has a time limit (a hang must fail CI, not stall it).
@Suite(.timeLimit(.minutes(1))) struct TestHygieneTests {
    static let testsDirectory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()  // KubeCoreTests
        url.deleteLastPathComponent()  // Tests
        return url
    }()

    /// Every `@Suite` attribute in `Tests/` names a `.timeLimit`, and no `@Test` stands outside a suite.
    @Test func everySuiteHasATimeLimit() throws {
        let files = try #require(FileManager.default.enumerator(atPath: Self.testsDirectory.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        #expect(files.count > 20)
        var suites = 0
        var missing: [String] = []
        for file in files {
            let text = try String(contentsOf: Self.testsDirectory.appendingPathComponent(file), encoding: .utf8)
            let lines = text.components(separatedBy: "\n")
            for (index, line) in lines.enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("@Test"), !line.hasPrefix(" ") {
                    missing.append("\(file):\(index + 1): @Test outside a suite")
                }
                guard trimmed.hasPrefix("@Suite") else { continue }
                suites += 1
                // The attribute may continue on the next lines until its parentheses close.
                var attribute = trimmed
                var next = index + 1
                while attribute.filter({ $0 == "(" }).count > attribute.filter({ $0 == ")" }).count, next < lines.count {
                    attribute += lines[next]
                    next += 1
                }
                if !attribute.contains(".timeLimit(") { missing.append("\(file):\(index + 1)") }
            }
        }
        #expect(suites > 50)
        #expect(missing.isEmpty, "suites without a time limit: \(missing)")
    }
}
