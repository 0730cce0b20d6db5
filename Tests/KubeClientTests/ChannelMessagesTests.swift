import Foundation
import KubeCore
import Testing

@testable import KubeClient

/// The exec/attach/port-forward framing and its state machines, without a network.
@Suite("Channel messages (exec, attach, port-forward)", .timeLimit(.minutes(1)))
struct ChannelMessagesTests {
    static func message(_ channel: UInt8, _ text: String) -> Data { Data([channel]) + Data(text.utf8) }

    @Test func exitStatusDecodesSuccessNonZeroAndFailures() throws {
        let success = try ChannelMessages.exitStatus(Data(#"{"metadata":{},"status":"Success"}"#.utf8)).get()
        #expect(success.exitCode == 0 && success.succeeded)

        let nonZero = try ChannelMessages.exitStatus(Data(#"""
            {"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 42], exit code 42","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"42"}]}}
            """#.utf8)).get()
        #expect(nonZero.exitCode == 42 && !nonZero.succeeded)

        guard case .failure(let serverError) = ChannelMessages.exitStatus(Data(#"{"status":"Failure","reason":"InternalError","message":"boom","code":500}"#.utf8))
        else { Issue.record("an InternalError status is an error"); return }
        #expect(serverError.code == .api && serverError.reason == "InternalError" && serverError.message == "boom")

        guard case .failure(let garbage) = ChannelMessages.exitStatus(Data("not json".utf8)) else { Issue.record("garbage decodes"); return }
        #expect(garbage.code == .decoding)
        guard case .failure(let noCause) = ChannelMessages.exitStatus(Data(#"{"status":"Failure","reason":"NonZeroExitCode"}"#.utf8)) else {
            Issue.record("a NonZeroExitCode without its code decodes"); return
        }
        #expect(noCause.code == .decoding)
    }

    @Test func execStateDemultiplexesAndEndsOnce() throws {
        var state = ExecStreamState()
        guard case .stdout(let out)? = state.receive(Self.message(1, "out")) else { Issue.record("stdout"); return }
        #expect(out == Data("out".utf8))
        guard case .stderr(let err)? = state.receive(Self.message(2, "err")) else { Issue.record("stderr"); return }
        #expect(err == Data("err".utf8))
        #expect(state.receive(Data([1])) == nil)  // empty payloads (kube's channel opening) are dropped
        #expect(state.receive(Data()) == nil)
        #expect(state.receive(Self.message(9, "unknown channel")) == nil)
        guard case .finished(.success(let status))? = state.receive(Self.message(3, #"{"status":"Success"}"#)) else {
            Issue.record("status"); return
        }
        #expect(status.exitCode == 0)
        #expect(state.receive(Self.message(1, "after the end")) == nil)
        // Closing after the status keeps the status.
        #expect((try? state.closed().get())?.exitCode == 0)
    }

    @Test func aConnectionClosedBeforeTheStatusIsStreamClosed() {
        var state = ExecStreamState()
        _ = state.receive(Self.message(1, "partial"))
        guard case .failure(let error) = state.closed() else { Issue.record("no status, no success"); return }
        #expect(error.code == .streamClosed)
    }

    @Test func framesAndSignals() {
        #expect(ChannelMessages.frame(0, Data("ls\n".utf8)) == Data([0]) + Data("ls\n".utf8))
        #expect(ChannelMessages.closeSignal(0) == Data([255, 0]))
        #expect(ChannelMessages.resize(width: 80, height: 24) == Data([4]) + Data(#"{"Width":80,"Height":24}"#.utf8))
    }

    @Test func portForwardStripsThePortPrefixAndReportsErrors() throws {
        var state = PortForwardState(port: 8080)
        // 8080 = 0x1F90, little-endian.
        #expect(try state.receive(Data([0, 0x90, 0x1F])) == nil)
        #expect(try state.receive(Data([1, 0x90, 0x1F])) == nil)
        #expect(try state.receive(Data([0]) + Data("data".utf8)) == .data(Data("data".utf8)))
        #expect(try state.receive(Data([1]) + Data("refused".utf8)) == .error("refused"))
        #expect(try state.receive(Data([2, 1, 2])) == nil)  // channels of other ports are not ours

        var wrong = PortForwardState(port: 80)
        #expect(throws: KubeError.self) { try wrong.receive(Data([0, 0x90, 0x1F])) }
        var short = PortForwardState(port: 80)
        #expect(throws: KubeError.self) { try short.receive(Data([0, 80])) }
        // Prefix and data in one message.
        var joined = PortForwardState(port: 80)
        #expect(try joined.receive(Data([0, 80, 0]) + Data("x".utf8)) == .data(Data("x".utf8)))
    }

    @Test func execRequestsCarryTheCommandAndStreams() throws {
        let pods = ResourceDescriptor(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true)
        let builder = RequestBuilder(resource: pods, namespace: "default")
        let exec = try builder.exec("web", command: ["sh", "-c", "echo a b"], options: ExecOptions(container: "main", stdin: true))
        #expect(exec.method == .get)
        #expect(exec.path == "/api/v1/namespaces/default/pods/web/exec")
        #expect(exec.pathAndQuery.contains("command=sh&command=-c&command=echo%20a%20b&container=main&stdin=true&stdout=true&stderr=true"))
        #expect(ExecOptions(tty: true).stderr == false)
        let forward = try builder.portForward("db", ports: [5432, 8080])
        #expect(forward.path == "/api/v1/namespaces/default/pods/db/portforward")
        #expect(forward.query == [QueryItem("ports", "5432,8080")])
        #expect(throws: RequestError.self) { try builder.portForward("db", ports: [0]) }
        #expect(throws: RequestError.self) { try builder.exec("web", command: []) }
    }
}
