import Foundation

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Benchmark inputs: files read whole into memory, `.gz` unpacked with `gzip -dc`.
enum BenchFixture {
    static func load(_ path: String) throws -> [UInt8] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw BenchError("fixture \(path) not found or not readable")
        }
        guard path.hasSuffix(".gz") else {
            return try readWhole(path)
        }
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-dc", path]
        let output = Pipe()
        gzip.standardOutput = output
        try gzip.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        guard gzip.terminationStatus == 0 else {
            throw BenchError("gzip -dc \(path) failed with status \(gzip.terminationStatus)")
        }
        return [UInt8](data)
    }

    /// Reads a file into an array of exactly its size.
    private static func readWhole(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BenchError("cannot open \(path)") }
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        let descriptor = handle.fileDescriptor
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, size - filled)
            }
            guard count > 0 else { throw BenchError("short read from \(path)") }
            filled += count
        }
        return bytes
    }
}

/// One JSON object written in the order its members are added.
struct JSONLine {
    private var members: [String] = []

    var text: String { "{" + members.joined(separator: ",") + "}" }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    func string(_ key: String, _ value: String) -> JSONLine { raw(key, Self.quoted(value)) }
    func int(_ key: String, _ value: Int) -> JSONLine { raw(key, String(value)) }
    func number(_ key: String, _ value: Double) -> JSONLine {
        raw(key, value.isFinite ? String(format: "%.1f", value) : "null")
    }

    func raw(_ key: String, _ json: String) -> JSONLine {
        var copy = self
        copy.members.append("\(Self.quoted(key)):\(json)")
        return copy
    }
}

/// What the figures were measured on.
struct Machine {
    var cores: Int
    var memoryMB: Int
    var kernel: String
    var cpu: String

    static func current() -> Machine {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? ""
        return Machine(
            cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryMB: Int(ProcessInfo.processInfo.physicalMemory / 1_048_576),
            kernel: release, cpu: model)
    }

    var json: String {
        JSONLine().int("cores", cores).int("memory_mb", memoryMB).string("kernel", kernel).string("cpu", cpu).text
    }
}
