import ArgumentParser
import Foundation
import KubeClient

/// `kubeprobe`: the in-cluster doctor (`check`), a small kubectl, and the demo.
public struct Kubeprobe: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kubeprobe",
        abstract: "Check the Pod → API server path from inside a Pod, and a small kubectl for in-cluster work.",
        discussion: "Exit codes: 0 all good, 1 a failed step or request, 2 bad usage.",
        subcommands: [CheckCommand.self, WhoAmICommand.self, CanICommand.self, GetCommand.self, WatchCommand.self,
                      LogsCommand.self, ExecCommand.self, TokenCommand.self, ApplyCommand.self, WebhookCommand.self, DemoCommand.self])

    public init() {}

    /// Parses the arguments, runs the command and returns the process exit code:
    /// 0 success, 1 failure, 2 bad usage (ArgumentParser's own 64 is mapped to 2).
    public static func run(arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as ProbeError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            return error.exitCode
        } catch let error as KubeError {
            FileHandle.standardError.write(Data("error: \(Self.describe(error))\n".utf8))
            return 1
        } catch let error as ExitCode {
            return error.rawValue
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { FileHandle.standardOutput.write(Data((message + "\n").utf8)) }
                return 0
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            return code == .validationFailure ? 2 : code.rawValue
        }
    }

    static func describe(_ error: KubeError) -> String {
        if error.isForbidden { return "\(error.message) (forbidden)" }
        if error.code == .api { return error.message }
        return error.description
    }
}

/// The flags every command shares.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The kubeconfig file to use (instead of the in-cluster service account).")
    var kubeconfig: String?

    @Option(name: .long, help: "The kubeconfig context.")
    var context: String?

    @Flag(name: .customLong("in-cluster"), help: "Use the Pod's service account (the default when KUBERNETES_SERVICE_HOST is set).")
    var inCluster = false

    @Option(name: [.short, .long], help: "The namespace (default: the Pod's own, or the context's).")
    var namespace: String?

    @Flag(name: .short, help: "Log every request to standard error (tokens are never printed).")
    var verbose = false

    public init() {}

    var settings: ProbeSettings {
        ProbeSettings(kubeconfig: kubeconfig, context: context, namespace: namespace, forceInCluster: inCluster, verbose: verbose)
    }

    public func validate() throws {
        if inCluster && kubeconfig != nil { throw ValidationError("--in-cluster and --kubeconfig exclude each other") }
    }

    /// Runs `body` with a client for these options, shut down afterwards.
    func withClient<T: Sendable>(_ body: (KubeClient) async throws -> T) async throws -> T {
        let settings = self.settings
        let config = try settings.clientConfig()
        return try await withKubeClient(config, logger: settings.logger(), body)
    }
}

/// `-o json` or the human form.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}
