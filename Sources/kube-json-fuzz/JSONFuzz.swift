import Foundation
import KubeCore

// A libFuzzer target for the JSON reader (`JSONReader` and the `JSONReadable` types of KubeCore
// that the generated model readers are built from), run for a bounded time by .ci/run:
//   swift build -c release --product kube-json-fuzz --build-path .build-fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
//   .build-fuzz/release/kube-json-fuzz -max_total_time=45
// Without FUZZING it replays the inputs named on the command line (a crash's reproducer).
//
// Properties: no input crashes or traps; a rejected input's error points inside the input;
// whatever `JSONValue` accepts re-encodes to text that reads back to the same text.

/// Reads `bytes` as each reader the client uses on a response body would.
func exercise(_ bytes: [UInt8]) {
    check(bytes, as: JSONValue.self)
    check(bytes, as: ObjectList<DynamicObject>.self)
    check(bytes, as: PartialObjectMetadata.self)
    check(bytes, as: WatchEvent<DynamicObject>.self)
    check(bytes, as: Status.self)
    check(bytes, as: [String: String].self)
    if let value = try? JSONValue.read(from: bytes) {
        let text = JSONText.bytes(value)
        guard let again = try? JSONValue.read(from: text) else {
            fatalError("the re-encoded value does not read back: \(String(decoding: text, as: UTF8.self))")
        }
        let twice = JSONText.bytes(again)
        if twice != text {
            fatalError("re-encoding changed the value:\n\(String(decoding: text, as: UTF8.self))\n\(String(decoding: twice, as: UTF8.self))")
        }
    }
}

func check<T: JSONReadable>(_ bytes: [UInt8], as type: T.Type) {
    do {
        _ = try T.read(from: bytes)
    } catch {
        // The JSON path and byte offset are the errors' contract: the offset must be in the input.
        if error.offset < 0 || error.offset > bytes.count {
            fatalError("\(T.self): error offset \(error.offset) outside the \(bytes.count)-byte input: \(error)")
        }
    }
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
@_cdecl("kube_json_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv, fuzzOneInput)
}
#else
@main
struct JSONFuzzReplay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            exercise([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            print("\(path): ok")
        }
    }
}
#endif
