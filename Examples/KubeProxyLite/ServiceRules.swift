import Crypto
import Foundation

/// kube-proxy's iptables-mode rules for one Service port, as pure text for
/// `iptables-restore --noflush` (no I/O here).
///
/// The shape is kube-proxy's (`pkg/proxy/iptables/proxier.go`):
/// `KUBE-SERVICES` matches ClusterIP:port and jumps to `KUBE-SVC-<hash>`, which picks one
/// `KUBE-SEP-<hash>` per endpoint with `-m statistic --mode random --probability 1/(n-i)`
/// (the last one without), and each `KUBE-SEP` DNATs to its endpoint. A Service without
/// endpoints gets kube-proxy's REJECT in the filter table instead, so clients fail fast.
struct ServiceRules: Equatable {
    /// `namespace/name:portName`, kube-proxy's `ServicePortName`.
    var servicePortName: String
    var clusterIP: String
    var port: Int
    /// `ip:port` of each ready endpoint, sorted.
    var endpoints: [String]

    /// `KUBE-SVC-` + the first 16 base32 characters of sha256(servicePortName + "tcp").
    var serviceChain: String { "KUBE-SVC-" + Self.hashPrefix(servicePortName + "tcp") }

    /// `KUBE-SEP-` + the first 16 base32 characters of sha256(servicePortName + "tcp" + endpoint).
    func endpointChain(_ endpoint: String) -> String { "KUBE-SEP-" + Self.hashPrefix(servicePortName + "tcp" + endpoint) }

    /// The restore input: every chain this Service owns is declared (which flushes it),
    /// refilled, and the chains of endpoints that are gone (`stale`) are deleted.
    func restoreInput(staleEndpointChains stale: [String]) -> String {
        var nat = ["*nat", ":KUBE-SERVICES - [0:0]", ":\(serviceChain) - [0:0]"]
        let chains = endpoints.map(endpointChain)
        nat += chains.map { ":\($0) - [0:0]" }
        nat += stale.map { ":\($0) - [0:0]" }
        let comment = "\"\(servicePortName) cluster IP\""
        var filter = ["*filter", ":KUBE-SERVICES - [0:0]"]
        if endpoints.isEmpty {
            filter.append(
                "-A KUBE-SERVICES -d \(clusterIP)/32 -p tcp -m comment --comment \"\(servicePortName) has no endpoints\" -m tcp --dport \(port) -j REJECT --reject-with icmp-port-unreachable"
            )
        } else {
            nat.append("-A KUBE-SERVICES -d \(clusterIP)/32 -p tcp -m comment --comment \(comment) -m tcp --dport \(port) -j \(serviceChain)")
            for (index, endpoint) in endpoints.enumerated() {
                let remaining = endpoints.count - index
                let pick = remaining > 1 ? " -m statistic --mode random --probability \(String(format: "%.10f", 1.0 / Double(remaining)))" : ""
                nat.append("-A \(serviceChain) -m comment --comment \"\(servicePortName) -> \(endpoint)\"\(pick) -j \(chains[index])")
            }
            for (index, endpoint) in endpoints.enumerated() {
                nat.append("-A \(chains[index]) -m comment --comment \(servicePortName) -p tcp -m tcp -j DNAT --to-destination \(endpoint)")
            }
        }
        nat += stale.map { "-X \($0)" }
        nat.append("COMMIT")
        filter.append("COMMIT")
        return (nat + filter).joined(separator: "\n") + "\n"
    }

    static func hashPrefix(_ text: String) -> String {
        String(base32(Array(SHA256.hash(data: Data(text.utf8)))).prefix(16))
    }

    /// RFC 4648 base32 (Go's `base32.StdEncoding`), padding included.
    static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var output = ""
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        while output.count % 8 != 0 { output.append("=") }
        return output
    }
}
