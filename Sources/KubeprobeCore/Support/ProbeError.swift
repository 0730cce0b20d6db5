/// A kubeprobe failure that is not a ``KubeError`` from the API: bad usage, a
/// configuration that cannot be found, a token or certificate that cannot be read.
///
/// ``exitCode`` is 2 for bad usage (unknown verb, malformed selector, bad flags) and 1
/// for everything else. The message never contains a token.
public struct ProbeError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure. New codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable {
            case usage, configuration, invalidToken, invalidCertificate, fileSystem, timeout, failed
        }
        fileprivate let value: Value
        /// The command line is wrong (exit code 2).
        public static let usage = Code(value: .usage)
        /// No usable cluster configuration (not in a Pod, unreadable kubeconfig).
        public static let configuration = Code(value: .configuration)
        public static let invalidToken = Code(value: .invalidToken)
        public static let invalidCertificate = Code(value: .invalidCertificate)
        public static let fileSystem = Code(value: .fileSystem)
        public static let timeout = Code(value: .timeout)
        /// An operation failed; the message says which.
        public static let failed = Code(value: .failed)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// 2 for bad usage, 1 otherwise.
    public var exitCode: Int32 { code == .usage ? 2 : 1 }

    public var description: String { message }
}
