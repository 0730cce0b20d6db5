import Foundation

/// Release binaries linked with `--static-swift-stdlib` (the Swift runtime and Foundation
/// inside the executable: what goes into a container image), built on demand into their own
/// scratch folder `.build-static` of this package, so that switching the flag never rebuilds
/// the ordinary `.build`.
enum StaticBuild {
    /// The package folder this kube-bench was built from: the nearest folder above the
    /// executable (or else above the current directory) that holds `Package.swift`.
    static func packageRoot() throws -> URL {
        for start in [Sibling.folder, URL(fileURLWithPath: FileManager.default.currentDirectoryPath)] {
            var folder = start.standardizedFileURL
            while folder.path != "/" {
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) { return folder }
                folder = folder.deletingLastPathComponent()
            }
        }
        throw BenchError("cannot find the package (Package.swift) above \(Sibling.folder.path): pass the binaries' paths instead")
    }

    /// Builds `product` (up to date: an incremental build is quick) and returns its path.
    static func binary(_ product: String) throws -> String {
        let scratch = try packageRoot().appendingPathComponent(".build-static")
        try swiftBuild(["-c", "release", "--static-swift-stdlib", "--scratch-path", scratch.path, "--product", product])
        let path = scratch.appendingPathComponent("release").appendingPathComponent(product).path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw BenchError("\(path) was not built") }
        return path
    }

    /// Runs `swift build` with `arguments` in the package folder; its output goes to standard
    /// error, a failed build throws.
    static func swiftBuild(_ arguments: [String]) throws {
        let root = try packageRoot()
        FileHandle.standardError.write(Data("kube-bench: swift build \(arguments.joined(separator: " "))\n".utf8))
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        build.arguments = ["swift", "build"] + arguments
        build.currentDirectoryURL = root
        build.standardOutput = FileHandle.standardError
        try build.run()
        build.waitUntilExit()
        guard build.terminationStatus == 0 else {
            throw BenchError("swift build \(arguments.joined(separator: " ")) failed with status \(build.terminationStatus)")
        }
    }

    /// How `path` links the Swift runtime, read from `ldd`: "static" or "dynamic".
    static func linking(of path: String) -> String {
        guard let ldd = try? ChildRun.run("/usr/bin/ldd", [path]) else { return "unknown" }
        return ldd.output.contains("libswiftCore") ? "dynamic" : "static"
    }
}
