/// A configuration that cannot be used: missing environment variables, unreadable
/// service account files, a kubeconfig that is not YAML or names something that does
/// not exist.
///
/// Compare ``code`` to learn what went wrong; ``description`` says it in words and
/// names the variable, file or entry involved (never a secret). ``causes`` holds
/// every underlying failure of ``ClientConfig/infer(environment:)``.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem this is. New codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable, Hashable {
            case missingEnvironmentVariable, invalidPort, invalidHost
            case tokenFileMissing, tokenFileEmpty, tokenInvalid
            case certificateAuthorityMissing, certificateAuthorityNotPEM
            case kubeconfigNotFound, kubeconfigNotYAML, kubeconfigInvalid
            case contextNotFound, clusterNotFound, userNotFound, noCurrentContext
            case fileNotFound, invalidData, invalidServerURL, unsupportedAuthentication
            case noConfiguration
        }
        fileprivate let value: Value

        public static let missingEnvironmentVariable = Code(value: .missingEnvironmentVariable)
        public static let invalidPort = Code(value: .invalidPort)
        public static let invalidHost = Code(value: .invalidHost)
        public static let tokenFileMissing = Code(value: .tokenFileMissing)
        public static let tokenFileEmpty = Code(value: .tokenFileEmpty)
        /// The token holds characters that cannot be a bearer token (binary data, spaces, control characters).
        public static let tokenInvalid = Code(value: .tokenInvalid)
        public static let certificateAuthorityMissing = Code(value: .certificateAuthorityMissing)
        public static let certificateAuthorityNotPEM = Code(value: .certificateAuthorityNotPEM)
        public static let kubeconfigNotFound = Code(value: .kubeconfigNotFound)
        public static let kubeconfigNotYAML = Code(value: .kubeconfigNotYAML)
        /// YAML, but not a kubeconfig (wrong shapes, missing required fields).
        public static let kubeconfigInvalid = Code(value: .kubeconfigInvalid)
        public static let contextNotFound = Code(value: .contextNotFound)
        public static let clusterNotFound = Code(value: .clusterNotFound)
        public static let userNotFound = Code(value: .userNotFound)
        public static let noCurrentContext = Code(value: .noCurrentContext)
        /// A file the configuration points to (certificate, key, token file) does not exist or cannot be read.
        public static let fileNotFound = Code(value: .fileNotFound)
        /// Inline data (`*-data` fields) that is not valid base64 or not PEM.
        public static let invalidData = Code(value: .invalidData)
        public static let invalidServerURL = Code(value: .invalidServerURL)
        /// `auth-provider` or another mechanism this client does not implement.
        public static let unsupportedAuthentication = Code(value: .unsupportedAuthentication)
        /// ``ClientConfig/infer(environment:)`` found no usable source; see ``ConfigError/causes``.
        public static let noConfiguration = Code(value: .noConfiguration)

        public var description: String { value.rawValue }
    }

    public let code: Code
    /// A sentence naming what is wrong and where.
    public let message: String
    /// The failures behind a ``Code/noConfiguration`` error, one per source tried.
    public let causes: [ConfigError]

    init(_ code: Code, _ message: String, causes: [ConfigError] = []) {
        self.code = code
        self.message = message
        self.causes = causes
    }

    public var description: String {
        guard !causes.isEmpty else { return message }
        return message + causes.map { "\n  - " + $0.description }.joined()
    }
}
