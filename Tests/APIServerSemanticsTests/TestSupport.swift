import Foundation
import KubeCore

/// Parses JSON text in tests; a typo in a fixture fails loudly.
func json(_ text: String) -> JSONValue {
    do {
        return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    } catch {
        fatalError("bad JSON fixture: \(text)")
    }
}
