import Foundation
import KubeCore
import Testing
@testable import KubeTestServer

/// The kubelet side's framing, negotiation and log shaping, without a network.
@Suite("Kubelet stream protocol", .timeLimit(.minutes(1)))
struct KubeletStreamProtocolTests {
    @Test func negotiationPrefersV5AndKnowsOnlyChannelProtocols() {
        let exec = [StreamProtocol.v5, StreamProtocol.v4]
        #expect(StreamProtocol.negotiate(offered: "v5.channel.k8s.io", supported: exec) == "v5.channel.k8s.io")
        #expect(StreamProtocol.negotiate(offered: "v4.channel.k8s.io, v5.channel.k8s.io", supported: exec) == "v5.channel.k8s.io")
        #expect(StreamProtocol.negotiate(offered: "v4.channel.k8s.io", supported: exec) == "v4.channel.k8s.io")
        #expect(StreamProtocol.negotiate(offered: "channel.k8s.io, base64.channel.k8s.io", supported: exec) == nil)
        #expect(StreamProtocol.negotiate(offered: nil, supported: exec) == nil)
        #expect(StreamProtocol.negotiate(offered: StreamProtocol.spdyTunnel, supported: StreamProtocol.portForward) == nil)
    }

    @Test func exitStatusIsWhatKubectlReadsTheCodeFrom() throws {
        let success = try JSONWriter.parse(StreamProtocol.exitStatus(0, command: ["true"]))
        #expect(success["status"]?.stringValue == "Success")
        let failure = try JSONWriter.parse(StreamProtocol.exitStatus(7, command: ["sh", "-c", "exit 7"]))
        #expect(failure["status"]?.stringValue == "Failure")
        #expect(failure["reason"]?.stringValue == "NonZeroExitCode")
        #expect(failure["details"]?["causes"]?[0]?["reason"]?.stringValue == "ExitCode")
        #expect(failure["details"]?["causes"]?[0]?["message"]?.stringValue == "7")
        #expect(failure["message"]?.stringValue == "command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7")
    }

    @Test func framesPortsAndResizes() {
        #expect(StreamProtocol.frame(1, Data("x".utf8)) == Data([1, 0x78]))
        #expect(StreamProtocol.split(Data([2, 0x61]))?.channel == 2)
        #expect(StreamProtocol.split(Data()) == nil)
        #expect(StreamProtocol.portPrefix(8080) == Data([0x90, 0x1F]))
        #expect(StreamProtocol.ports(["80,8080"]) == [80, 8080])
        #expect(StreamProtocol.ports(["80", "443"]) == [80, 443])
        #expect(StreamProtocol.ports(["0"]) == nil)
        #expect(StreamProtocol.ports(["http"]) == nil)
        #expect(StreamProtocol.ports([]) == nil)
        #expect(StreamProtocol.terminalSize(Data(#"{"Width":120,"Height":40}"#.utf8)) == .init(width: 120, height: 40))
        #expect(StreamProtocol.terminalSize(Data("garbage".utf8)) == nil)
    }

    @Test func logQueryShapesLines() throws {
        let now = Date()
        let lines = [
            KubeTestServer.Kubelet.ContainerLog.Line(time: now.addingTimeInterval(-120), text: "old"),
            .init(time: now, text: "new"),
        ]
        func query(_ uri: String) throws -> LogQuery {
            try LogQuery(ServerRequest(method: "GET", uri: uri, headers: [], body: Data(), certificateIdentity: nil, listenerIndex: 0))
        }
        #expect(try query("/log").render(lines) == "old\nnew\n")
        #expect(try query("/log?tailLines=1").render(lines) == "new\n")
        #expect(try query("/log?tailLines=0").render(lines) == "")
        #expect(try query("/log?sinceSeconds=60").render(lines) == "new\n")
        #expect(try query("/log?limitBytes=5").render(lines) == "old\nn")
        let stamped = try query("/log?timestamps=true&tailLines=1").render(lines)
        #expect(stamped.hasSuffix("Z new\n"))
        #expect(LogQuery.timestamp(Date(timeIntervalSince1970: 1_700_000_000.5)) == "2023-11-14T22:13:20.500000000Z")
        #expect(throws: APIError.self) { try query("/log?tailLines=-1") }
        #expect(throws: APIError.self) { try query("/log?sinceSeconds=0") }
        #expect(throws: APIError.self) { try query("/log?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z") }
    }

    @Test func aFollowSeesLaterLinesAndEndsWithFinish() async {
        let log = KubeTestServer.Kubelet.ContainerLog()
        log.append("before")
        let (lines, later) = log.follow()
        #expect(lines.map(\.text) == ["before"])
        log.append("after")
        log.finish()
        var seen: [String] = []
        for await line in later { seen.append(line.text) }
        #expect(seen == ["after"])
        let (_, ended) = log.follow()
        for await _ in ended { Issue.record("a finished log has nothing to follow") }
    }
}
