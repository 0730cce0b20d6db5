import ArgumentParser
import Foundation

/// `kubeprobe check`: the ten steps of the Pod → API server path.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check every step from the Pod to the API server: env, mount, DNS, TCP, TLS, health, identity, RBAC, endpoints, list and watch.")

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("need"), help: "A permission the app needs, checked with SelfSubjectAccessReview: \"list pods\", \"update leases -n kube-system\" (repeatable).")
    var needs: [String] = []

    @Option(name: [.short, .long], help: "text or json.")
    var output: ReportFormat = .text

    @Option(name: .long, help: "Seconds each step may take before it fails.")
    var timeout: Double = 5

    func validate() throws {
        guard timeout > 0, timeout <= 300 else { throw ValidationError("--timeout must be between 0 and 300 seconds") }
        for need in needs {
            do { _ = try PermissionNeed(parsing: need) } catch { throw ValidationError("--need: \(error.message)") }
        }
    }

    func run() async throws {
        let options = CheckOptions(settings: global.settings, needs: needs, stepTimeout: .milliseconds(Int64(timeout * 1000)))
        let report = await Self.run(options: options, console: Console(), format: output)
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }

    /// Runs the check and prints it (live for text), returning the report.
    static func run(options: CheckOptions, console: Console, format: ReportFormat) async -> CheckReport {
        switch format {
        case .json:
            let report = await CheckRunner(options: options).run()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(report)) ?? Data("{}".utf8)
            console.line(String(decoding: data, as: UTF8.self))
            return report
        case .text:
            let printer = CheckPrinter(console: console, verbose: options.settings.verbose)
            printer.header(mode: options.settings.mode == .inCluster ? "in-cluster" : "kubeconfig")
            let report = await CheckRunner(options: options).run(
                onStart: { number, title in console.startSpinner("\(number). \(title)…") },
                onFinish: { result in
                    console.stopSpinner()
                    printer.step(result)
                })
            printer.footer(report)
            return report
        }
    }
}
