/// Why a ``Controller`` cannot run.
public struct ControllerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for comparisons (`error.code == .informersNotRunning`). New codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable { case informersNotRunning }
        fileprivate let base: Base
        /// An informer the controller depends on was not running within the start timeout:
        /// add it to the service group (informers are services of their own).
        public static let informersNotRunning = Code(base: .informersNotRunning)
        public var description: String {
            switch base {
            case .informersNotRunning: "informersNotRunning"
            }
        }
    }

    public let code: Code
    /// The informers concerned, by ``Informer/description`` (`configmaps in namespace "mirror"`).
    public let informers: [String]
    public let message: String

    static func informersNotRunning(_ informers: [String], after timeout: Duration) -> ControllerError {
        ControllerError(
            code: .informersNotRunning, informers: informers,
            message: "the informer\(informers.count == 1 ? "" : "s") for \(informers.joined(separator: "; ")) "
                + "did not start within \(timeout): run \(informers.count == 1 ? "it" : "them") as a service, e.g. in the same ServiceGroup")
    }

    public var description: String { "controller: \(message)" }
}
