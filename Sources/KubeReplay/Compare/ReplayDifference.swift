/// One way a replayed response differs from the recorded one.
public struct ReplayDifference: Sendable, Hashable, CustomStringConvertible {
    /// The step (counted from 0), or `nil` for a difference across the exchange (resourceVersion order).
    public let step: Int?
    /// Where: `/status`, `/headers/Content-Type`, `/body/...` (a JSON pointer into the
    /// response body; watch events are `/body/<i>/...`), or `/resourceVersion`.
    public let path: String
    /// The recorded value (compact JSON, shortened), or `(absent)`.
    public let expected: String
    /// The replayed value, or `(absent)`.
    public let actual: String

    public init(step: Int?, path: String, expected: String, actual: String) {
        self.step = step
        self.path = path
        self.expected = expected
        self.actual = actual
    }

    public var description: String {
        let location = step.map { "step \($0) \(path)" } ?? path
        return "\(location): recorded \(expected), replayed \(actual)"
    }

    static let absent = "(absent)"
}
