import Foundation
import KubeCore
import KubeModels
import Testing

/// The generated `JSONReadable` path must give exactly what `Codable` gives.
@Suite(.timeLimit(.minutes(3))) struct FastReaderTests {
    func same<T: Codable & JSONReadable & Equatable>(_ type: T.Type, _ data: Data) throws -> T {
        let codable = try JSONDecoder().decode(T.self, from: data)
        let fast = try T.read(from: data)
        #expect(fast == codable, "\(T.self): the fast path differs from Codable")
        // And it re-encodes to the same JSON.
        let sorted = JSONEncoder()
        sorted.outputFormatting = .sortedKeys
        #expect(try sorted.encode(fast) == sorted.encode(codable))
        return fast
    }

    @Test(arguments: [
        "pod", "deployment", "service", "endpointslice", "configmap", "secret", "lease", "role", "rolebinding", "crd",
        "selfsubjectaccessreview",
    ])
    func fixtureDecodesLikeCodable(_ name: String) throws {
        let data = try Fixture.data(name)
        switch name {
        case "pod":
            let pod = try same(Pod.self, data)
            #expect(pod.spec?.containers.first?.resources?.limits?["memory"] == (try Quantity("256Mi")))
        case "deployment": _ = try same(Deployment.self, data)
        case "service": _ = try same(Service.self, data)
        case "endpointslice": _ = try same(EndpointSlice.self, data)
        case "configmap": _ = try same(ConfigMap.self, data)
        case "secret":
            let secret = try same(Secret.self, data)
            #expect(secret.data?.isEmpty == false)
        case "lease": _ = try same(Lease.self, data)
        case "role": _ = try same(Role.self, data)
        case "rolebinding": _ = try same(RoleBinding.self, data)
        case "crd": _ = try same(CustomResourceDefinition.self, data)
        case "selfsubjectaccessreview": _ = try same(SelfSubjectAccessReview.self, data)
        default: Issue.record("no type for fixture \(name)")
        }
    }

    @Test func listOfFixturesDecodesLikeCodable() throws {
        let pod = try String(decoding: Fixture.data("pod"), as: UTF8.self)
        let list = #"{"apiVersion":"v1","kind":"PodList","metadata":{"resourceVersion":"9"},"items":["# + pod + "," + pod + "]}"
        let decoded = try same(ObjectList<Pod>.self, Data(list.utf8))
        #expect(decoded.items.count == 2)
    }

    @Test func nullIsAbsentAndUnknownKeysAreSkipped() throws {
        let json = #"{"metadata":{"name":"p","labels":null},"spec":{"containers":[{"name":"a","image":null,"x-new":{"deep":[1,{"b":null}]}}],"nodeName":null},"status":null,"later":true}"#
        let pod = try same(Pod.self, Data(json.utf8))
        #expect(pod.metadata.labels == nil)
        #expect(pod.spec?.containers.first?.image == nil)
        #expect(pod.status == nil)
    }

    @Test func fieldsV1IsKeptAsBytesAndEqualsTheValue() throws {
        let json = #"{"metadata":{"name":"p","managedFields":[{"manager":"m","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:x":{}}}}]}}"#
        let pod = try same(Pod.self, Data(json.utf8))
        let entry = try #require(pod.metadata.managedFields?.first)
        #expect(entry.fieldsV1Raw?.bytes == Array(#"{"f:spec":{"f:x":{}}}"#.utf8))
        #expect(entry.fieldsV1 == .object(["f:spec": .object(["f:x": .object([:])])]))
    }

    /// Realistic pods: the first 100 of the benchmark list, each decoded both ways.
    @Test func benchmarkPodsDecodeLikeCodable() throws {
        let bytes = try TestPaths.gunzippedFixture("podlist-10k.json.gz")
        let pods = try bytes.withUnsafeBytes { buffer in
            var reader = JSONReader(buffer)
            return Result { () throws(JSONReadError) -> [[UInt8]] in
                var pods: [[UInt8]] = []
                try reader.beginObject()
                while let key = try reader.nextKey() {
                    guard key.equals("items") else {
                        try reader.skipValue()
                        continue
                    }
                    try reader.beginArray()
                    while pods.count < 100, try reader.nextElement() { pods.append(try reader.readRawBytes()) }
                    break
                }
                return pods
            }
        }.get()
        #expect(pods.count == 100)
        for pod in pods {
            _ = try same(Pod.self, Data(pod))
        }
    }
}

/// Every bad input the `Codable` tests cover fails on the fast path too, with a
/// `JSONReadError` naming the field.
@Suite(.timeLimit(.minutes(3))) struct FastReaderBadInputTests {
    func error<T: JSONReadable>(_ type: T.Type, _ json: String) -> JSONReadError? {
        do {
            _ = try T.read(from: Data(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func wrongTypeNamesThePath() {
        let failure = error(Pod.self, #"{"spec":{"containers":[{"name":"a","ports":[{"containerPort":"eighty"}]}]}}"#)
        #expect(failure?.pathDescription == "spec.containers[0].ports[0].containerPort")
        #expect(failure?.message == "expected an integer")
    }

    @Test func missingRequiredFieldNamesThePath() {
        let failure = error(Pod.self, #"{"spec":{"containers":[{"image":"nginx"}]}}"#)
        #expect(failure?.pathDescription == "spec.containers[0].name")
        #expect(failure?.message == #"missing required field "name""#)
        #expect(error(RoleBinding.self, #"{"metadata":{"name":"x"}}"#)?.pathDescription == "roleRef")
        // `null` for a required field is as good as missing.
        #expect(error(Pod.self, #"{"spec":{"containers":[{"name":null}]}}"#)?.pathDescription == "spec.containers[0].name")
    }

    @Test func unknownEnumStringsAreKept() throws {
        let json = #"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","imagePullPolicy":"Sometimes"}]},"status":{"phase":"Hibernating"}}"#
        let pod = try Pod.read(from: Data(json.utf8))
        #expect(pod.status?.phase == "Hibernating")
        #expect(pod.spec?.containers.first?.imagePullPolicy == "Sometimes")
    }

    @Test func invalidQuantityIsATypedErrorAtItsPath() {
        let failure = error(Pod.self, #"{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"lots"}}}]}}"#)
        #expect(failure?.pathDescription == "spec.containers[0].resources.limits.cpu")
        #expect(failure?.message.contains("invalid quantity \"lots\"") == true)
        let number = error(Pod.self, #"{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":true}}}]}}"#)
        #expect(number?.pathDescription == "spec.containers[0].resources.limits.cpu")
    }

    @Test func quantitiesAsNumbersReadLikeCodable() throws {
        let json = #"{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":2,"memory":1.5}}}]}}"#
        let fast = try Pod.read(from: Data(json.utf8))
        let codable = try JSONDecoder().decode(Pod.self, from: Data(json.utf8))
        #expect(fast == codable)
        #expect(fast.spec?.containers.first?.resources?.limits?["cpu"]?.text == "2")
    }

    @Test func intOrStringRejectsOtherTypes() throws {
        let json = #"{"spec":{"containers":[{"name":"a","livenessProbe":{"httpGet":{"port":PORT}}}]}}"#
        let bad = error(Pod.self, json.replacingOccurrences(of: "PORT", with: "true"))
        #expect(bad?.pathDescription == "spec.containers[0].livenessProbe.httpGet.port")
        #expect(error(Pod.self, json.replacingOccurrences(of: "PORT", with: "4294967296")) != nil)
        let named = try Pod.read(from: Data(json.replacingOccurrences(of: "PORT", with: #""http""#).utf8))
        #expect(named.spec?.containers.first?.livenessProbe?.httpGet?.port == .string("http"))
    }

    @Test func invalidTimestampIsRejectedAtItsPath() {
        #expect(error(Pod.self, #"{"metadata":{"creationTimestamp":"yesterday"}}"#)?.pathDescription == "metadata.creationTimestamp")
        #expect(error(Lease.self, #"{"spec":{"renewTime":"2024-13-01T00:00:00Z"}}"#)?.pathDescription == "spec.renewTime")
    }

    @Test func invalidBase64IsRejected() {
        let failure = error(Secret.self, #"{"data":{"k":"not base64!"}}"#)
        #expect(failure?.pathDescription == "data.k")
        #expect(failure?.message == "invalid base64 data")
    }

    @Test func notAnObject() {
        #expect(error(Deployment.self, "[]")?.message == "expected an object")
        #expect(error(Deployment.self, #"{"spec":"x"}"#)?.pathDescription == "spec")
        #expect(error(Deployment.self, #"{"spec":{}"#) != nil)
    }
}
