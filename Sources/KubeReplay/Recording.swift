import Foundation

/// One recorded exchange: the requests sent to a real kube-apiserver, in order, and the
/// responses it gave (the format of `../shared/fixtures/apiserver-v1.36/README.md`).
public struct ReplayRecording: Sendable {
    /// The exchange's `name` (for example `notfound-object`).
    public let name: String
    /// The file it was read from, without the directory (for example `012-notfound-object.json`).
    public let file: String
    /// The exchange's `category`, if given.
    public let category: String?
    /// What the exchange pins down (`why`).
    public let why: String?

    let steps: [Step]

    /// The number of requests.
    public var stepCount: Int { steps.count }

    /// The file name without `.json`: how results, the allow-list and the expected results name an exchange.
    public var id: String { file.hasSuffix(".json") ? String(file.dropLast(5)) : file }

    struct Step: Sendable {
        var request: ReplayJSON
        var response: ReplayJSON
        var refs: [(target: String, source: String)]
        var note: String?
    }

    /// Reads one exchange file.
    public init(contentsOf path: String) throws(ReplayError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReplayError(.unreadable(path)) }
        let document: ReplayJSON
        do {
            document = try ReplayJSON.parse(data)
        } catch {
            throw ReplayError(.invalidRecording(path, "\(error)"))
        }
        try self.init(document: document, file: (path as NSString).lastPathComponent)
    }

    init(document: ReplayJSON, file: String) throws(ReplayError) {
        guard let steps = document["steps"]?.array, !steps.isEmpty else { throw ReplayError(.invalidRecording(file, "no steps")) }
        self.file = file
        self.name = document["name"]?.string ?? file
        self.category = document["category"]?.string
        self.why = document["why"]?.string
        var parsed: [Step] = []
        for (index, step) in steps.enumerated() {
            guard let request = step["request"], let method = request["method"]?.string, !method.isEmpty, let path = request["path"]?.string,
                path.hasPrefix("/")
            else {
                throw ReplayError(.invalidRecording(file, "step \(index): request needs a method and a path starting with /"))
            }
            guard let response = step["response"], response["status"]?.int != nil else {
                throw ReplayError(.invalidRecording(file, "step \(index): response needs an integer status"))
            }
            var refs: [(target: String, source: String)] = []
            for member in step["refs"]?.members ?? [] {
                guard let source = member.value.string, source.hasPrefix("/steps/") else {
                    throw ReplayError(.invalidRecording(file, "step \(index): ref \(member.key) must point into /steps/<i>/response"))
                }
                refs.append((target: member.key, source: source))
            }
            parsed.append(Step(request: request, response: response, refs: refs, note: step["note"]?.string))
        }
        self.steps = parsed
    }

    /// Every `*.json` exchange file of `directory`, in file name order (README files and
    /// other names are skipped).
    public static func load(directory: String) throws(ReplayError) -> [ReplayRecording] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ReplayError(.unreadable(directory))
        }
        var recordings: [ReplayRecording] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            recordings.append(try ReplayRecording(contentsOf: directory + "/" + name))
        }
        guard !recordings.isEmpty else { throw ReplayError(.invalidRecording(directory, "no *.json exchange files")) }
        return recordings
    }
}

/// A replay that could not run (not a mismatch: those are results).
public struct ReplayError: Error, Sendable, CustomStringConvertible {
    enum Code: Sendable {
        case unreadable(String)
        case invalidRecording(String, String)
        case invalidAllowList(String, String)
        case invalidExpectations(String, String)
        case server(String)
    }

    let code: Code

    init(_ code: Code) { self.code = code }

    public var description: String {
        switch code {
        case .unreadable(let path): "cannot read \(path)"
        case .invalidRecording(let file, let reason): "\(file): not a recording: \(reason)"
        case .invalidAllowList(let file, let reason): "\(file): not an allow-list: \(reason)"
        case .invalidExpectations(let file, let reason): "\(file): not an expected-results file: \(reason)"
        case .server(let reason): "the test server failed: \(reason)"
        }
    }
}
