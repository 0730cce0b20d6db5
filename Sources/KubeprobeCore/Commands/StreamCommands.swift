import ArgumentParser
import Foundation
import KubeClient
import KubeCore

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a pod's log; -f follows it as it is written.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The pod.") var pod: String
    @Option(name: [.short, .long], help: "The container (needed when the pod has several).") var container: String?
    @Flag(name: [.short, .long], help: "Follow the log until the container stops (or Ctrl-C).") var follow = false
    @Option(name: .long, help: "Only the last N lines.") var tail: Int?
    @Option(name: .long, help: "Only lines of the last N seconds.") var sinceSeconds: Int?
    @Flag(name: .long, help: "Prefix each line with the time it was written.") var timestamps = false
    @Flag(name: [.short, .long], help: "The log of the previous instance of the container.") var previous = false

    func validate() throws {
        if let tail, tail < 0 { throw ValidationError("--tail must not be negative") }
        if let sinceSeconds, sinceSeconds <= 0 { throw ValidationError("--since-seconds must be positive") }
    }

    func run() async throws {
        let options = LogOptions(
            container: container, follow: follow, previous: previous, sinceSeconds: sinceSeconds, tailLines: tail, timestamps: timestamps)
        try await global.withClient { client in
            try await Kubectl(client: client, console: Console()).logs(pod: pod, namespace: global.namespace, options: options)
        }
    }
}

struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run a command in a pod's container: kubeprobe exec POD [-c C] [-i] -- COMMAND [ARGS...]; exits with its code.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The pod.") var pod: String
    @Option(name: [.short, .long], help: "The container (needed when the pod has several).") var container: String?
    @Flag(name: [.customShort("i"), .long], help: "Send standard input to the command.") var stdin = false
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --: kubeprobe exec \(pod) -- ls /") }
    }

    func run() async throws {
        let code = try await global.withClient { client in
            try await Kubectl(client: client, console: Console()).exec(
                pod: pod, namespace: global.namespace, command: command, container: container, stdin: stdin ? standardInputChunks() : nil)
        }
        if code != 0 { throw ExitCode(code) }
    }
}
