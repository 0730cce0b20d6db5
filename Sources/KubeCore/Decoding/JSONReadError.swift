import Foundation

/// A JSON value that could not be read: what was wrong, and where, as a JSON path
/// (`items[3].spec.containers[0].name`) and a byte offset.
public struct JSONReadError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    /// Path components from the root: keys and `[index]`es.
    public private(set) var path: [String]
    public let offset: Int

    public init(_ message: String, offset: Int, path: [String] = []) {
        self.message = message
        self.offset = offset
        self.path = path
    }

    /// The path in dotted form: `items[3].metadata.name`; `$` for the root.
    public var pathDescription: String {
        var result = ""
        for component in path {
            if component.hasPrefix("[") { result += component } else { result += result.isEmpty ? component : "." + component }
        }
        return result.isEmpty ? "$" : result
    }

    public var description: String { "\(pathDescription): \(message) (at byte \(offset))" }

    /// The same error one level further down: `component` is the key or `[index]` it was under.
    public func under(_ component: String) -> JSONReadError {
        var copy = self
        copy.path.insert(component, at: 0)
        return copy
    }
}
