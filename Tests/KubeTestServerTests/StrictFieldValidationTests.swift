import Foundation
import KubeCore
import KubeModels
import Testing
@testable import KubeTestServer

/// Unknown and duplicate fields of built-in objects, as the recorded kube-apiserver v1.36
/// answers them (exchange 035): `Warning` headers by default, 400 under
/// `fieldValidation=Strict`, nothing under `Ignore`; over TLS with raw JSON bodies.
@Suite("Strict field validation of built-in objects", .timeLimit(.minutes(1)))
struct StrictFieldValidationTests {
    let configMaps = "/api/v1/namespaces/default/configmaps"

    func post(_ wire: Wire, _ query: String, _ json: String) async throws -> WireResponse {
        try await wire.request(.POST, configMaps + query, body: Data(json.utf8))
    }

    @Test func unknownFieldsWarnByDefaultAndRefuseUnderStrict() async throws {
        try await withServer { _, wire in
            let warned = try await post(wire, "", #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labelz":{"x":"y"}},"data":{"k":"v"},"extra":1}"#)
            #expect(warned.status == 201)
            #expect(warned.headers["Warning"] == [#"299 - "unknown field \"metadata.labelz\"""#, #"299 - "unknown field \"extra\"""#])
            #expect(warned.json["metadata"]?["labelz"] == nil)

            let ignored = try await post(wire, "?fieldValidation=Ignore", #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"},"extra":1}"#)
            #expect(ignored.status == 201)
            #expect(ignored.headers["Warning"].isEmpty)

            let strict = try await post(wire, "?fieldValidation=Strict", #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"extra":1,"spec":{}}"#)
            #expect(strict.status == 400)
            #expect(strict.statusObject?.message
                == #"ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "extra", unknown field "spec""#)
            #expect(try await wire.get(configMaps + "/c").status == 404)
        }
    }

    @Test func duplicateFieldsWarnAndMergeAsInGo() async throws {
        try await withServer { _, wire in
            let twice = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"data":{"a":"1"},"data":{"b":"2"}}"#
            let warned = try await post(wire, "", twice)
            #expect(warned.status == 201)
            #expect(warned.headers["Warning"] == [#"299 - "duplicate field \"data\"""#])
            // Go decodes the second object into the map the first one filled (recording 035 step 6).
            #expect(warned.json["data"] == ["a": "1", "b": "2"])
            #expect(warned.json["metadata"]?["managedFields"]?[0]?["fieldsV1"]?["f:data"] == [".": [:], "f:a": [:], "f:b": [:]])
            let strict = try await post(wire, "?fieldValidation=Strict", twice.replacingOccurrences(of: #""d""#, with: #""e""#))
            #expect(strict.status == 400)
            #expect(strict.statusObject?.message
                == #"ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "data""#)
        }
    }

    @Test func nestedPathsEmbeddedStructsAndTypeMetaOfTemplates() async throws {
        try await withServer { _, wire in
            // `httpGet` belongs to the probe's embedded ProbeHandler and `apiVersion`/`kind` to the
            // claim template's TypeMeta: neither is unknown. `imagePullPolice` and `sizeLimitz` are.
            let statefulSet = #"""
                {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db"},"spec":{"serviceName":"db",
                "selector":{"matchLabels":{"app":"db"}},"template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[
                {"name":"db","image":"db:1","livenessProbe":{"httpGet":{"path":"/","port":80}}},
                {"name":"side","image":"side:1","imagePullPolice":"Always","resources":{"limits":{"cpu":"1"}}}],
                "volumes":[{"name":"scratch","emptyDir":{"sizeLimitz":"1Gi"}}]}},
                "volumeClaimTemplates":[{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data"},
                "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}}
                """#
            let response = try await wire.request(.POST, "/apis/apps/v1/namespaces/default/statefulsets", body: Data(statefulSet.utf8))
            #expect(response.status == 201)
            #expect(response.headers["Warning"] == [
                #"299 - "unknown field \"spec.template.spec.containers[1].imagePullPolice\"""#,
                #"299 - "unknown field \"spec.template.spec.volumes[0].emptyDir.sizeLimitz\"""#,
            ])
        }
    }

    @Test func anUnsupportedFieldValidationIsInvalidOptions() async throws {
        try await withServer { _, wire in
            let created = try await post(wire, "?fieldValidation=Sometimes", #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"f"}}"#)
            #expect(created.status == 422)
            let detail = #"Unsupported value: "Sometimes": supported values: "", "Ignore", "Strict", "Warn""#
            #expect(created.statusObject?.message == #"CreateOptions.meta.k8s.io "" is invalid: fieldValidation: "# + detail)
            #expect(created.statusObject?.details?.kind == "CreateOptions")
            #expect(created.statusObject?.details?.causes == [StatusCause(reason: "FieldValueNotSupported", message: detail, field: "fieldValidation")])
            let updated = try await wire.request(
                .PUT, configMaps + "/f?fieldValidation=Sometimes", body: Data(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"f"}}"#.utf8))
            #expect(updated.statusObject?.details?.kind == "UpdateOptions")
            #expect(try await post(wire, "?fieldValidation=", #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"g"}}"#).status == 201)
        }
    }

    @Test func goDecodingMergesObjectsAndReplacesListsAndScalars() {
        let schema = BuiltinProtobufSchema.schema
        let configMap = #"{"metadata":{"name":"a","labels":{"x":"1"},"labels":{"y":"2"},"name":"b"},"data":{"k":"v"},"data":{"k":"w"}}"#
        #expect(schema.decodingAsGo(json: Array(configMap.utf8), apiVersion: "v1", kind: "ConfigMap")
            == ["metadata": ["name": "b", "labels": ["x": "1", "y": "2"]], "data": ["k": "w"]])
        let pod = #"{"spec":{"containers":[{"name":"a","image":"a:1"}],"containers":[{"name":"b"}],"nodeSelector":{"z":"1"}}}"#
        #expect(schema.decodingAsGo(json: Array(pod.utf8), apiVersion: "v1", kind: "Pod")
            == ["spec": ["containers": [["name": "b"]], "nodeSelector": ["z": "1"]]])
        #expect(schema.decodingAsGo(json: Array(#"{"data":{"k":"v\u0021"}}"#.utf8), apiVersion: "v1", kind: "ConfigMap") == ["data": ["k": "v!"]])
        #expect(schema.decodingAsGo(json: Array(#"{"data":{"k":"v"}"#.utf8), apiVersion: "v1", kind: "ConfigMap") == nil)
        #expect(schema.decodingAsGo(json: Array(#"{"data":tru}"#.utf8), apiVersion: "v1", kind: "ConfigMap") == nil)
    }

    /// Truncated, escaped and odd input: the scan never crashes or loops, and names what it reached.
    @Test func theScanSurvivesAnyInput() {
        let schema = BuiltinProtobufSchema.schema
        let object = #"{"metadata":{"name":"a","lab\u0065lz":{}},"da\"ta":{"k":"v"},"data":{"k":"v","k":"w"}}"#
        #expect(schema.strictFieldProblems(json: Array(object.utf8), apiVersion: "v1", kind: "ConfigMap")
            == [#"unknown field "metadata.labelz""#, #"unknown field "da"ta""#, #"duplicate field "data.k""#])
        for cut in 0..<object.utf8.count {
            _ = schema.strictFieldProblems(json: Array(object.utf8.prefix(cut)), apiVersion: "v1", kind: "ConfigMap")
            #expect(schema.decodingAsGo(json: Array(object.utf8.prefix(cut)), apiVersion: "v1", kind: "ConfigMap") == nil)
        }
        #expect(schema.strictFieldProblems(json: Array("[1,2]".utf8), apiVersion: "v1", kind: "ConfigMap") == [])
        #expect(schema.strictFieldProblems(json: [], apiVersion: "example.com/v1", kind: "Widget") == nil)
    }
}
