import Foundation
import KubeCore

/// The channel numbers of kube's `channel.k8s.io` WebSocket protocols: each binary message
/// is one channel byte followed by that channel's data.
enum StreamChannel {
    static let stdin: UInt8 = 0
    static let stdout: UInt8 = 1
    static let stderr: UInt8 = 2
    /// v4+: one `Status` JSON when the process ends.
    static let error: UInt8 = 3
    static let resize: UInt8 = 4
    /// v5: `[255, channel]` closes that channel's input (the half-close WebSocket lacks).
    static let close: UInt8 = 255
}

/// Pure framing and negotiation for `pods/exec`, `pods/attach` and `pods/portforward` over
/// WebSocket, as kube's `wsstream` and the kubelet's port-forward handler speak it.
enum StreamProtocol {
    static let v5 = "v5.channel.k8s.io"
    static let v4 = "v4.channel.k8s.io"
    /// What port-forward accepts besides no subprotocol at all: the kubelet's binary channel protocol.
    static let portForward = [v4]
    /// kubectl's port-forward since 1.31 tunnels SPDY inside WebSocket under this name.
    static let spdyTunnel = "SPDY/3.1+portforward.k8s.io"

    /// The first protocol of `supported` the client offered (`Sec-WebSocket-Protocol`, a comma list), or `nil`.
    static func negotiate(offered header: String?, supported: [String]) -> String? {
        let offered = (header ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return supported.first { offered.contains($0) }
    }

    /// One message: the channel byte, then `data`.
    static func frame(_ channel: UInt8, _ data: Data) -> Data {
        var message = Data([channel])
        message.append(data)
        return message
    }

    /// A message split into its channel and payload; `nil` for an empty message.
    static func split(_ message: Data) -> (channel: UInt8, payload: Data)? {
        guard let first = message.first else { return nil }
        return (first, Data(message.dropFirst()))
    }

    /// The port prefix the kubelet writes first on each port-forward channel: the port, little-endian.
    static func portPrefix(_ port: Int) -> Data {
        Data([UInt8(port & 0xFF), UInt8((port >> 8) & 0xFF)])
    }

    /// The Status the kubelet sends on the error channel when the process ends: `Success`,
    /// or `NonZeroExitCode` with the code as the `ExitCode` cause (what kubectl turns into its exit status).
    static func exitStatus(_ code: Int32, command: [String]) -> Data {
        if code == 0 { return JSONWriter.encode(Status(status: "Success")) }
        let details = StatusDetails(causes: [StatusCause(reason: "ExitCode", message: String(code))])
        let message = "command terminated with non-zero exit code: error executing command [\(command.joined(separator: " "))], exit code \(code)"
        return JSONWriter.encode(Status(status: "Failure", message: message, reason: "NonZeroExitCode", details: details))
    }

    /// The Status for a process that could not run (no handler, or the handler failed).
    static func failureStatus(_ message: String) -> Data {
        JSONWriter.encode(Status(status: "Failure", message: message, reason: StatusReason.internalError, code: 500))
    }

    /// A resize message: `{"Width":80,"Height":24}` (Go's field names).
    static func terminalSize(_ payload: Data) -> KubeTestServer.Kubelet.TerminalSize? {
        guard let value = try? JSONWriter.parse(payload), let width = value["Width"]?.intValue, let height = value["Height"]?.intValue else {
            return nil
        }
        return KubeTestServer.Kubelet.TerminalSize(width: Int(width), height: Int(height))
    }

    /// `ports=80,8080` (also repeated `ports=`), each 1-65535.
    static func ports(_ values: [String]) -> [Int]? {
        let ports = values.flatMap { $0.split(separator: ",") }.map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !ports.isEmpty, ports.allSatisfy({ $0 != nil && (1...65535).contains($0!) }) else { return nil }
        return ports.compactMap { $0 }
    }
}
