import Foundation
import KubeCore

/// The channels of kube's `channel.k8s.io` WebSocket protocols: every binary message is one
/// channel byte, then that channel's data.
enum StreamChannel {
    static let stdin: UInt8 = 0
    static let stdout: UInt8 = 1
    static let stderr: UInt8 = 2
    /// v4+: the `Status` of the process when it ends.
    static let error: UInt8 = 3
    static let resize: UInt8 = 4
    /// v5: `[255, channel]` closes the input of `channel`.
    static let close: UInt8 = 255
}

/// Pure encoding and decoding of the exec, attach and port-forward messages.
enum ChannelMessages {
    static let v5 = "v5.channel.k8s.io"
    static let v4 = "v4.channel.k8s.io"
    /// The largest piece of stdin or port data sent in one message (kubectl's copy buffer).
    static let maxChunk = 32 * 1024

    static func frame(_ channel: UInt8, _ data: Data) -> Data {
        var message = Data([channel])
        message.append(data)
        return message
    }

    /// The v5 close signal for `channel`.
    static func closeSignal(_ channel: UInt8) -> Data { Data([StreamChannel.close, channel]) }

    /// A resize message, with Go's field names: `{"Width":80,"Height":24}`.
    static func resize(width: Int, height: Int) -> Data {
        frame(StreamChannel.resize, Data(#"{"Width":\#(width),"Height":\#(height)}"#.utf8))
    }

    /// The exit status in a channel-3 message: `Success` is 0; `NonZeroExitCode` carries the
    /// code in its `ExitCode` cause; any other Status is an error (the process did not run).
    static func exitStatus(_ payload: Data) -> Result<ExecStatus, KubeError> {
        guard let status = try? JSONDecoder().decode(Status.self, from: payload) else {
            return .failure(KubeError(.decoding, "the exec status is not a Status: \(String(decoding: payload.prefix(200), as: UTF8.self))"))
        }
        if status.status == "Success" { return .success(ExecStatus(exitCode: 0, status: status)) }
        if status.reason == "NonZeroExitCode" {
            let cause = status.details?.causes?.first { $0.reason == "ExitCode" }
            if let text = cause?.message, let code = Int32(text) { return .success(ExecStatus(exitCode: code, status: status)) }
            return .failure(KubeError(.decoding, "a NonZeroExitCode status without an ExitCode cause: \(status.message ?? "")"))
        }
        return .failure(KubeError(status: status))
    }
}

/// What an exec or attach connection delivers, message by message: a pure state machine
/// (the connection's handler performs the I/O).
struct ExecStreamState {
    enum Event {
        case stdout(Data)
        case stderr(Data)
        /// The process ended (channel 3): its status, or the error the server reported.
        case finished(Result<ExecStatus, KubeError>)
    }

    private(set) var result: Result<ExecStatus, KubeError>?

    /// One message from the server. Messages after the status, and on unknown channels, are ignored.
    mutating func receive(_ message: Data) -> Event? {
        guard result == nil, let channel = message.first else { return nil }
        let payload = Data(message.dropFirst())
        switch channel {
        case StreamChannel.stdout: return payload.isEmpty ? nil : .stdout(payload)
        case StreamChannel.stderr: return payload.isEmpty ? nil : .stderr(payload)
        case StreamChannel.error:
            let outcome = ChannelMessages.exitStatus(payload)
            result = outcome
            return .finished(outcome)
        default: return nil
        }
    }

    /// The connection ended: the status if it came, else ``KubeError/Code/streamClosed``.
    mutating func closed(_ why: String = "the connection closed before the process's exit status arrived") -> Result<ExecStatus, KubeError> {
        if let result { return result }
        let outcome: Result<ExecStatus, KubeError> = .failure(KubeError(.streamClosed, why))
        result = outcome
        return outcome
    }
}

/// One forwarded port's messages: data channel 0 and error channel 1, each opened by the
/// kubelet with the port number (2 bytes, little-endian) that is checked and dropped.
struct PortForwardState {
    enum Event: Equatable {
        case data(Data)
        case error(String)
    }

    let port: Int
    private var opened: Set<UInt8> = []

    init(port: Int) { self.port = port }

    mutating func receive(_ message: Data) throws(KubeError) -> Event? {
        guard let channel = message.first, channel <= 1 else { return nil }
        var payload = Data(message.dropFirst())
        if !opened.contains(channel) {
            guard payload.count >= 2 else { throw KubeError(.decoding, "port-forward channel \(channel) opened without its port number") }
            let announced = Int(payload[payload.startIndex]) | Int(payload[payload.startIndex + 1]) << 8
            guard announced == port else { throw KubeError(.decoding, "port-forward channel \(channel) is for port \(announced), not \(port)") }
            opened.insert(channel)
            payload = Data(payload.dropFirst(2))
        }
        guard !payload.isEmpty else { return nil }
        return channel == 0 ? .data(payload) : .error(String(decoding: payload, as: UTF8.self))
    }
}
