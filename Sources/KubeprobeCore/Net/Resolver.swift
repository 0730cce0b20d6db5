import Foundation

/// What `/etc/resolv.conf` tells the system resolver: name servers, the search list and
/// `ndots` (a Pod's default is the cluster search list and `ndots:5`).
public struct ResolvConf: Sendable, Hashable, Codable {
    public var nameservers: [String] = []
    public var search: [String] = []
    /// `options ndots:N`; the resolver's default is 1.
    public var ndots: Int = 1
    public var options: [String] = []

    public init() {}

    /// Parses resolv.conf text; unknown lines are ignored, as the resolver does.
    public init(parsing text: String) {
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = fields.first else { continue }
            let values = Array(fields.dropFirst())
            switch keyword {
            case "nameserver": nameservers += values.prefix(1)
            case "search", "domain": search = values  // the last search/domain line wins
            case "options":
                for option in values {
                    options.append(option)
                    if option.hasPrefix("ndots:"), let value = Int(option.dropFirst("ndots:".count)) { ndots = min(max(value, 0), 15) }
                }
            default: continue
            }
        }
    }
}

/// The system resolver (`getaddrinfo`), bounded by a timeout: a blocked lookup is left
/// to finish on its own thread and reported as timed out.
enum SystemResolver {
    struct Failure: Error, Sendable { let message: String }

    static func resolve(_ host: String, timeout: Duration) async -> Result<[String], Failure> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<[String], Failure>, Never>) in
            let once = Once(continuation)
            Thread.detachNewThread {
                once.resume(lookup(host))
            }
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
                once.resume(.failure(Failure(message: "no answer within \(timeout)")))
            }
        }
    }

    private final class Once: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Result<[String], Failure>, Never>?
        init(_ continuation: CheckedContinuation<Result<[String], Failure>, Never>) { self.continuation = continuation }
        func resume(_ result: Result<[String], Failure>) {
            lock.lock()
            let taken = continuation
            continuation = nil
            lock.unlock()
            taken?.resume(returning: result)
        }
    }

    private static func lookup(_ host: String) -> Result<[String], Failure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if os(Linux)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        guard status == 0, let first = result else {
            return .failure(Failure(message: String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(address, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if !addresses.contains(text) { addresses.append(text) }
                }
            }
            cursor = entry.pointee.ai_next
        }
        return .success(addresses)
    }
}
