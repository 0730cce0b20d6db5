import Foundation
import KubeCore
import Testing

@testable import APIServerSemantics

@Suite("JSON Patch (RFC 6902)", .timeLimit(.minutes(3)))
struct JSONPatchTests {
    // RFC 6902 Appendix A, cases A.1-A.16.
    @Test("RFC 6902 appendix A examples", arguments: [
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        (#"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        (#"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
         #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
         #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#),
        (#"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#,
         #"{"foo":["all","cows","eat","grass"]}"#),
        (#"{"baz":"qux","foo":["a",2,"c"]}"#,
         #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
         #"{"baz":"qux","foo":["a",2,"c"]}"#),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
         #"{"foo":"bar","child":{"grandchild":{}}}"#),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#, #"{"foo":"bar","baz":"qux"}"#),
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        (#"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, #"{"foo":["bar",["abc","def"]]}"#),
    ])
    func appendixA(document: String, patch: String, expected: String) throws {
        #expect(try JSONPatch.apply(json(patch), to: json(document)) == json(expected))
    }

    @Test func failingCasesFromAppendixA() {
        // A.9: test failure.
        #expect(throws: PatchError.testFailed) {
            try JSONPatch.apply(json(#"[{"op":"test","path":"/baz","value":"bar"}]"#), to: json(#"{"baz":"qux"}"#))
        }
        // A.12: adding to a nonexistent target.
        #expect(throws: PatchError.pathNotFound) {
            try JSONPatch.apply(json(#"[{"op":"add","path":"/baz/bat","value":"qux"}]"#), to: json(#"{"foo":"bar"}"#))
        }
        // A.15: comparing strings and numbers.
        #expect(throws: PatchError.testFailed) {
            try JSONPatch.apply(json(#"[{"op":"test","path":"/~01","value":"10"}]"#), to: json(#"{"/":9,"~1":10}"#))
        }
    }

    @Test func kubeStyleMessages() throws {
        let pod = json(#"{"metadata":{"name":"p","labels":{"a":"b"}},"spec":{"containers":[{"name":"c"}]}}"#)
        do {
            _ = try JSONPatch.apply(json(#"[{"op":"test","path":"/metadata/name","value":"q"}]"#), to: pod)
            Issue.record("expected a failure")
        } catch {
            #expect(error.message == "testing value /metadata/name failed: test failed")
            #expect(error.httpStatus == 422)
            #expect(error.reason == "Invalid")
        }
        // kube-apiserver's json-patch: `replace` of a missing key of an existing object adds it
        // (recorded from v1.36); a missing parent still fails.
        #expect(try JSONPatch.apply(json(#"[{"op":"replace","path":"/metadata/labels/x","value":"y"}]"#), to: pod)["metadata"]?["labels"]
            == ["a": "b", "x": "y"])
        do {
            _ = try JSONPatch.apply(json(#"[{"op":"replace","path":"/metadata/annotations/x","value":"y"}]"#), to: pod)
            Issue.record("expected a failure")
        } catch {
            #expect(error == .pathNotFound)
            #expect(error.message == "replace operation does not apply: doc is missing key: /metadata/annotations/x: missing value")
        }
        do {
            _ = try JSONPatch.apply(json(#"[{"op":"frobnicate","path":"/a"}]"#), to: pod)
            Issue.record("expected a failure")
        } catch {
            #expect(error == .unprocessable)
            #expect(error.httpStatus == 422)
        }
        do {
            _ = try JSONPatch.apply(json(#"[{"op":"remove","path":"/spec/containers/3"}]"#), to: pod)
            Issue.record("expected a failure")
        } catch {
            #expect(error == .indexOutOfBounds)
            #expect(error.message == "Unable to access invalid index: 3: invalid index referenced")
        }
    }

    @Test func arraysAndEscapes() throws {
        let doc = json(#"{"a/b":{"m~n":[1,2,3]}}"#)
        #expect(try JSONPatch.apply(json(#"[{"op":"add","path":"/a~1b/m~0n/-","value":4}]"#), to: doc)
            == json(#"{"a/b":{"m~n":[1,2,3,4]}}"#))
        #expect(try JSONPatch.apply(json(#"[{"op":"add","path":"/a~1b/m~0n/3","value":4}]"#), to: doc)
            == json(#"{"a/b":{"m~n":[1,2,3,4]}}"#))
        #expect(try JSONPatch.apply(json(#"[{"op":"copy","from":"/a~1b/m~0n/0","path":"/first"}]"#), to: doc)
            == json(#"{"a/b":{"m~n":[1,2,3]},"first":1}"#))
        #expect(throws: PatchError.indexOutOfBounds) {
            try JSONPatch.apply(json(#"[{"op":"add","path":"/a~1b/m~0n/5","value":4}]"#), to: doc)
        }
        #expect(throws: PatchError.indexOutOfBounds) {
            try JSONPatch.apply(json(#"[{"op":"add","path":"/a~1b/m~0n/01","value":4}]"#), to: doc)
        }
        #expect(throws: PatchError.invalidPointer) {
            try JSONPatch.apply(json(#"[{"op":"add","path":"/a~2","value":4}]"#), to: doc)
        }
        #expect(throws: PatchError.invalidPointer) {
            try JSONPatch.apply(json(#"[{"op":"add","path":"nope","value":4}]"#), to: doc)
        }
        #expect(throws: PatchError.notAContainer) {
            try JSONPatch.apply(json(#"[{"op":"add","path":"/a~1b/m~0n/0/x","value":4}]"#), to: doc)
        }
        // The whole document can be replaced; a number test ignores int/double spelling.
        #expect(try JSONPatch.apply(json(#"[{"op":"replace","path":"","value":[1]}]"#), to: doc) == json("[1]"))
        #expect(try JSONPatch.apply(json(#"[{"op":"test","path":"/x","value":1.0}]"#), to: json(#"{"x":1}"#))
            == json(#"{"x":1}"#))
    }

    @Test func atomicity() {
        // The second operation fails, so the first must not be visible (the input is a value).
        let doc = json(#"{"a":1}"#)
        #expect(throws: PatchError.self) {
            try JSONPatch.apply(json(#"[{"op":"add","path":"/b","value":2},{"op":"remove","path":"/zzz"}]"#), to: doc)
        }
        #expect(doc == json(#"{"a":1}"#))
    }

    @Test func malformedPatches() {
        for body in [#"{"op":"add"}"#, #"[1]"#, #"[{"op":"add","path":"/a"}]"#,
                     #"[{"op":"move","path":"/a"}]"#, #"[{"path":"/a"}]"#] {
            #expect(throws: PatchError.malformedPatch) { try JSONPatch.apply(json(body), to: json("{}")) }
        }
        #expect(throws: PatchError.malformedPatch) { try JSONPatch.apply(Data("[{".utf8), to: json("{}")) }
        let tooMany = JSONValue.array(Array(repeating: json(#"{"op":"test","path":"","value":{}}"#), count: 10_001))
        do {
            _ = try JSONPatch.apply(tooMany, to: json("{}"))
            Issue.record("expected a failure")
        } catch {
            #expect(error == .tooManyOperations)
            #expect(error.httpStatus == 413)
        }
        #expect(throws: PatchError.unprocessable) {
            try JSONPatch.apply(json(#"[{"op":"move","from":"/a","path":"/a/b"}]"#), to: json(#"{"a":{}}"#))
        }
    }
}

@Suite("JSON merge patch (RFC 7386)", .timeLimit(.minutes(3)))
struct MergePatchTests {
    // RFC 7386 Appendix A.
    @Test("RFC 7386 appendix A", arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, "null", "null"),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        ("{}", #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func appendixA(document: String, patch: String, expected: String) {
        #expect(MergePatch.apply(json(patch), to: json(document)) == json(expected))
    }

    @Test func diffRoundTrips() {
        let original = json(#"{"a":{"b":1,"c":[1,2]},"d":"x"}"#)
        let modified = json(#"{"a":{"b":2,"c":[1,2]},"e":true}"#)
        let patch = MergePatch.diff(from: original, to: modified)
        #expect(patch == json(#"{"a":{"b":2},"d":null,"e":true}"#))
        #expect(MergePatch.apply(patch, to: original) == modified)
    }

    @Test func malformedBody() {
        #expect(throws: PatchError.malformedPatch) { try MergePatch.apply(Data("{".utf8), to: json("{}")) }
    }
}
