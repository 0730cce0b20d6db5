import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// Content negotiation as recorded: aggregated discovery (006, 007), PartialObjectMetadata
/// (098), YAML responses and bodies (119, 120), 406 NotAcceptable (122-124).
@Suite("Content negotiation (recordings 006, 007, 098, 119-124)", .timeLimit(.minutes(3)))
struct NegotiationTests {
    static let aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

    @Test func aggregatedDiscoveryOfTheCoreGroup() async throws {
        try await withServer { server, wire in
            let replay = try Replayer("006-aggregated-discovery-api", server: server, wire: wire)
            let response = try await replay.send(0)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "Content-Type") == Self.aggregated)
            let recorded = replay.recordedBody(0)
            let actual = response.json
            #expect(actual["kind"] == "APIGroupDiscoveryList" && actual["apiVersion"] == "apidiscovery.k8s.io/v2")
            #expect(actual["metadata"] == [:] && actual["items"]?[0]?["metadata"] == [:])
            let version = actual["items"]?[0]?["versions"]?[0]
            #expect(version?["version"] == "v1" && version?["freshness"] == "Current")
            let served = Dictionary(uniqueKeysWithValues: (version?["resources"]?.arrayValue ?? []).map { ($0["resource"]?.stringValue ?? "", $0) })
            var compared = 0
            for entry in recorded["items"]?[0]?["versions"]?[0]?["resources"]?.arrayValue ?? [] {
                let name = entry["resource"]?.stringValue ?? ""
                guard let ours = served[name] else { continue }
                var expected = entry
                var mine = ours
                // Subresources without a handler here (exec, proxy, ...) are not served.
                let subresources = Set((ours["subresources"]?.arrayValue ?? []).compactMap { $0["subresource"]?.stringValue })
                expected["subresources"] = expected["subresources"]?.arrayValue.map { .array($0.filter { subresources.contains($0["subresource"]?.stringValue ?? "") }) }
                if expected["subresources"] == [] { expected["subresources"] = nil }
                if mine["subresources"] == [] { mine["subresources"] = nil }
                #expect(JSONDiff.differences(expected, mine) == [], "\(name)")
                compared += 1
            }
            #expect(compared >= 15)
            for name in ["pods", "configmaps", "namespaces", "serviceaccounts", "services", "events", "secrets"] { #expect(served[name] != nil) }

            // /apis: every group with its versions, preferred first.
            let groups = try await wire.get("/apis", headers: [("Accept", Self.aggregated + ",application/json")])
            #expect(groups.headers.first(name: "Content-Type") == Self.aggregated)
            let apps = groups.json["items"]?.arrayValue?.first { $0["metadata"]?["name"] == "apps" }
            let deployments = apps?["versions"]?[0]?["resources"]?.arrayValue?.first { $0["resource"] == "deployments" }
            #expect(deployments?["responseKind"] == ["group": "", "version": "", "kind": "Deployment"])
            #expect(deployments?["scope"] == "Namespaced")
            let scale = deployments?["subresources"]?.arrayValue?.first { $0["subresource"] == "scale" }
            #expect(scale?["responseKind"] == ["group": "autoscaling", "version": "v1", "kind": "Scale"])
        }
    }

    @Test func aggregatedDiscoveryNegotiation() async throws {
        try await withServer { server, wire in
            let replay = try Replayer("007-aggregated-discovery-negotiation", server: server, wire: wire)
            // v2beta1 with a JSON fallback: the legacy document (our serverAddress differs).
            let legacy = try await replay.send(0)
            #expect(legacy.headers.first(name: "Content-Type") == "application/json")
            #expect(legacy.json["kind"] == "APIVersions")
            #expect(try await replay.send(1).headers.first(name: "Content-Type") == Self.aggregated)
            #expect(try await replay.mismatches(2) == [])
        }
    }

    @Test(arguments: ["122-not-acceptable", "120-yaml-request-bodies"])
    func replaysAsRecorded(_ name: String) async throws {
        try await withServer { server, wire in
            let replay = try Replayer(name, server: server, wire: wire)
            for step in replay.recording.steps.indices {
                let differences = try await replay.mismatches(step)
                #expect(differences == [], "\(name): \(differences)")
            }
        }
    }

    @Test func contentTypesOfErrorsDiscoveryAndWatches() async throws {
        try await withServer { server, wire in
            let replay = try Replayer("123-content-type-of-errors-and-discovery", server: server, wire: wire)
            try await replay.send(0)
            let yaml = try await replay.send(1)
            #expect(yaml.headers.first(name: "Content-Type") == "application/yaml")
            let address = try await wire.get("/api").json["serverAddressByClientCIDRs"]?[0]?["serverAddress"]?.stringValue ?? ""
            #expect(yaml.text == (replay.recordedBody(1).stringValue ?? "").replacingOccurrences(of: "198.51.100.1:6443", with: address))
            for step in [3, 4, 5] {
                let differences = try await replay.mismatches(step)
                #expect(differences == [], "123: \(differences)")
            }
            let watches = try Replayer("124-watch-content-types", server: server, wire: wire)
            for step in [0, 1, 2, 3, 5] {
                let differences = try await watches.mismatches(step)
                #expect(differences == [], "124: \(differences)")
            }
        }
    }

    @Test func yamlResponses() async throws {
        try await withServer { server, wire in
            let replay = try Replayer("119-yaml-responses", server: server, wire: wire)
            try await replay.send(0...1)
            // Objects and lists: the same text once the values that cannot match are masked.
            for step in [2, 3] {
                let response = try await replay.send(step)
                #expect(response.headers.first(name: "Content-Type") == "application/yaml")
                #expect(Self.maskYAML(response.text) == Self.maskYAML(replay.recordedBody(step).stringValue ?? ""))
            }
            // A Status in YAML, byte for byte.
            let missing = try await replay.send(4)
            #expect(missing.status == 404)
            #expect(missing.text == replay.recordedBody(4).stringValue)
        }
    }

    @Test func partialObjectMetadata() async throws {
        try await withServer { server, wire in
            let replay = try Replayer("098-table-watch", server: server, wire: wire)
            try await replay.send(0...2)
            // Table watch: only the first event carries the column definitions; metadata watch.
            for step in [3, 4] {
                let differences = try await replay.mismatches(step)
                #expect(differences == [], "098: \(differences)")
            }
            let path = "/api/v1/namespaces/\(replay.namespace)/configmaps"
            let list = try await wire.get(path, headers: [("Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1")])
            #expect(list.json["kind"] == "PartialObjectMetadataList" && list.json["apiVersion"] == "meta.k8s.io/v1")
            #expect(list.json["items"]?.arrayValue?.map { $0["metadata"]?["name"] } == ["a", "b"])
            #expect(list.json["items"]?[0]?["kind"] == "PartialObjectMetadata" && list.json["items"]?[0]?["data"] == nil)
            #expect(list.json["metadata"]?["resourceVersion"] != nil)
            let one = try await wire.get(path + "/a", headers: [("Accept", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json")])
            #expect(one.json["kind"] == "PartialObjectMetadata" && one.json["metadata"]?["name"] == "a" && one.json["data"] == nil)
            // A list asked for as a single PartialObjectMetadata only is not acceptable.
            let wrong = try await wire.get(path, headers: [("Accept", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1")])
            #expect(wrong.status == 406)
        }
    }

    /// Replaces the values that differ between servers in YAML text (uid, resourceVersion,
    /// times) and leaves out the `managedFields` block (field sets are not this suite's subject).
    static func maskYAML(_ text: String) -> String {
        var lines: [String] = []
        var skippingBelow: Int?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let indent = line.prefix { $0 == " " }.count
            if let depth = skippingBelow {
                if indent > depth || (indent == depth && line.dropFirst(indent).hasPrefix("- ")) { continue }
                skippingBelow = nil
            }
            if line.dropFirst(indent).hasPrefix("managedFields:") {
                skippingBelow = indent
                continue
            }
            var masked = line
            for key in ["uid: ", "resourceVersion: ", "creationTimestamp: ", "time: "] {
                if let range = line.range(of: key) { masked = String(line[..<range.upperBound]) + "<masked>" }
            }
            lines.append(masked)
        }
        return lines.joined(separator: "\n")
    }
}
