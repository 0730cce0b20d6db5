import ArgumentParser

/// `kube-bench`: fixed performance scenarios, each printing one JSON line
/// (scenario, client, figures, machine). Build it in release mode:
/// `swift build -c release --product kube-bench`.
@main
struct KubeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kube-bench",
        abstract: "Measures swift-kubernetes on fixed scenarios; prints one JSON line per scenario.",
        subcommands: [
            DecodePodList.self, ListPods.self, WatchThroughput.self, InformerMemory.self, ColdStart.self,
            RequestRate.self, WebhookReviews.self, BinarySize.self, RunAll.self, Report.self,
        ]
    )
}
