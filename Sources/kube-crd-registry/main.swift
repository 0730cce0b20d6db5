// kube-crd-registry OUTPUT SOURCE...: writes OUTPUT, a Swift file listing every type declared
// with `@CustomResource` in the SOURCE files (the `CustomResourceRegistry` build plugin runs it on
// each module that uses the plugin). Types it cannot name from another file (private, inside a
// function, under `#if`) are left out with a warning on standard error.
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: kube-crd-registry OUTPUT SOURCE...\n".utf8))
    exit(64)
}
var found: [String] = []
for path in arguments.dropFirst() {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("kube-crd-registry: cannot read \(path)\n".utf8))
        exit(66)
    }
    let scan = CustomResourceScanner.scan(Array(data))
    found += scan.types
    for skipped in scan.skipped {
        FileHandle.standardError.write(Data("\(path):\(skipped.line): warning: @CustomResource type \(skipped.name) is left out of ModuleCustomResources.all: \(skipped.reason)\n".utf8))
    }
}
let text = CustomResourceScanner.registry(found)
do {
    try Data(text.utf8).write(to: URL(fileURLWithPath: output))
} catch {
    FileHandle.standardError.write(Data("kube-crd-registry: cannot write \(output): \(error)\n".utf8))
    exit(73)
}
