import Foundation
import KubeCore

// A libFuzzer target for the protobuf readers (`ProtobufSchema` and the direct
// `JSONReader(protobuf:)`), run for a bounded time by
// .ci/run:
//   swift build -c release --product kube-protobuf-fuzz --build-path .build-fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
//   .build-fuzz/release/kube-protobuf-fuzz -max_total_time=60
// Without FUZZING it replays the inputs named on the command line (a crash's reproducer).
// It reads the message table from the generated source so that it needs only KubeCore.

let schema: ProtobufSchema = {
    let path = ProcessInfo.processInfo.environment["KUBE_PROTOBUF_TABLE"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KubeModels/Generated/BuiltinProtobufSchema.swift").path
    guard let source = try? String(contentsOfFile: path, encoding: .utf8),
        let open = source.range(of: "table = \"\"\"\n"), let close = source.range(of: "\n\"\"\"", range: open.upperBound..<source.endIndex)
    else { fatalError("cannot read the protobuf table at \(path)") }
    return ProtobufSchema(table: String(source[open.upperBound..<close.lowerBound]))
}()

/// Decodes `bytes` every way a server or client would (as they are, and as the raw message of a
/// Pod); whatever decodes and re-encodes must decode to the same value.
func exercise(_ bytes: [UInt8]) {
    let envelope = ProtobufSchema.magic + [0x0a, 0x09, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x03, 0x50, 0x6f, 0x64, 0x12] + varint(bytes.count) + bytes
    for input in [bytes, envelope] {
        guard let value = try? schema.decodeObject(input) else { continue }
        guard let encoded = try? schema.encodeObject(value) else { continue }
        guard let again = try? schema.decodeObject(encoded) else { fatalError("a re-encoded object does not decode: \(value)") }
        if JSONText.bytes(again) != JSONText.bytes(value) { fatalError("re-encoding changed the object:\n\(value)\n\(again)") }
    }
    _ = try? schema.decodeWatchEvent(bytes)
    var frames = ProtobufFrameReader(maxFrameSize: 1 << 16)
    frames.append(bytes)
    while let frame = try? frames.nextFrame() { _ = try? schema.decodeWatchEvent(frame) }
    exerciseDirect(bytes, envelope: envelope)
}

/// The direct reader (`JSONReader(protobuf:)`, protobuf straight into models) on the same
/// inputs, with the KubeCore types that have readers; where the JSON the transcoder makes reads,
/// the direct read must succeed with the same value.
func exerciseDirect(_ bytes: [UInt8], envelope: [UInt8]) {
    for input in [bytes, envelope] {
        let direct = try? PartialObjectMetadata.read(protobuf: input, schema: schema)
        if let json = try? schema.decodeObject(input), let viaJSON = try? PartialObjectMetadata.read(from: JSONText.bytes(json)) {
            guard let direct else { fatalError("the direct reader fails where the transcoded JSON reads: \(json)") }
            if direct != viaJSON { fatalError("the direct reader differs from the transcoded JSON:\n\(direct)\n\(viaJSON)") }
        }
        _ = try? ObjectList<PartialObjectMetadata>.read(protobuf: input, schema: schema)
        _ = try? ObjectList<DynamicObject>.read(protobuf: input, schema: schema)
        _ = try? JSONValue.read(protobuf: input, schema: schema)
    }
    for message in ["apimachinery.pkg.apis.meta.v1.ObjectMeta", "api.core.v1.Pod", "apimachinery.pkg.apis.meta.v1.WatchEvent"] {
        _ = try? PartialObjectMetadata.read(protobuf: bytes, schema: schema, message: message)
        _ = try? ObjectMeta.read(protobuf: bytes, schema: schema, message: message)
        _ = try? WatchEvent<PartialObjectMetadata>.read(protobuf: bytes, schema: schema, message: message)
    }
}

func varint(_ value: Int) -> [UInt8] {
    var value = UInt64(value)
    var out: [UInt8] = []
    while value >= 0x80 { out.append(UInt8(truncatingIfNeeded: value) | 0x80); value >>= 7 }
    return out + [UInt8(value)]
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    exercise(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

// SwiftPM links an executable's entry point as `<module>_main`; hand control to libFuzzer there.
@_cdecl("kube_protobuf_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv, fuzzOneInput)
}
#else
@main
struct ProtobufFuzzReplay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            exercise([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            print("\(path): ok")
        }
    }
}
#endif
