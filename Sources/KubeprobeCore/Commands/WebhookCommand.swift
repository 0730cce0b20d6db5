import ArgumentParser
import Foundation

/// `kubeprobe webhook`: checks of admission and conversion webhooks.
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Check admission and CRD conversion webhooks the way kube-apiserver calls them.",
        subcommands: [WebhookCheckCommand.self])
}

/// `kubeprobe webhook check NAME`: configuration, endpoints, TLS, certificate, caBundle, dry-run reviews.
struct WebhookCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the API server → webhook path: configuration, Service endpoints, TLS, certificate names and expiry, caBundle, dry-run reviews.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A ValidatingWebhookConfiguration, MutatingWebhookConfiguration or CustomResourceDefinition (conversion webhook).")
    var name: String

    @Option(name: .long, help: "Which webhook of the configuration (webhooks[].name); default the first.")
    var webhook: String?

    @Option(name: .long, help: "Connect to host:port instead of the Service's endpoints (the certificate is still checked for the Service name).")
    var address: String?

    @Option(name: .long, help: "Dry-run reviews to send for the latency figures.")
    var reviews: Int = 5

    @Option(name: [.short, .long], help: "text or json.")
    var output: ReportFormat = .text

    @Option(name: .long, help: "Seconds each step may take before it fails.")
    var timeout: Double = 5

    func validate() throws {
        guard timeout > 0, timeout <= 300 else { throw ValidationError("--timeout must be between 0 and 300 seconds") }
        guard (1...1000).contains(reviews) else { throw ValidationError("--reviews must be between 1 and 1000") }
    }

    func run() async throws {
        let options = WebhookCheckOptions(
            settings: global.settings, name: name, webhook: webhook, address: address,
            stepTimeout: .milliseconds(Int64(timeout * 1000)), reviews: reviews)
        let report = await Self.run(options: options, console: Console(), format: output)
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }

    /// Runs the check and prints it (live for text), returning the report.
    static func run(options: WebhookCheckOptions, console: Console, format: ReportFormat) async -> CheckReport {
        switch format {
        case .json:
            let report = await WebhookCheckRunner(options: options).run()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            console.line(String(decoding: (try? encoder.encode(report)) ?? Data("{}".utf8), as: UTF8.self))
            return report
        case .text:
            let printer = CheckPrinter(console: console, verbose: options.settings.verbose)
            console.line(console.styled("kubeprobe webhook check \(options.name)", .bold) + " — the API server → webhook path, step by step")
            console.line()
            let report = await WebhookCheckRunner(options: options).run(
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
