import ArgumentParser

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run check, get, and a live watch through a token rotation, against an embedded API server on loopback (no cluster needed).")

    func run() async throws {
        try await Demo(console: Console()).run()
    }
}
