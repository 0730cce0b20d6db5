import Foundation
import Testing
@testable import KubeCore

@Suite(.timeLimit(.minutes(3))) struct RequestBuilderTests {
    let pods = ResourceDescriptor(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true)
    let deployments = ResourceDescriptor(group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true)
    let nodes = ResourceDescriptor(group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false)

    @Test func pathsForEveryScope() throws {
        #expect(RequestBuilder(resource: pods, namespace: "default").collectionPath == "/api/v1/namespaces/default/pods")
        #expect(RequestBuilder(resource: deployments, namespace: nil).collectionPath == "/apis/apps/v1/deployments")
        // A namespace given for a cluster-scoped resource is ignored.
        #expect(RequestBuilder(resource: nodes, namespace: "x").collectionPath == "/api/v1/nodes")
        let status = try RequestBuilder(resource: deployments, namespace: "prod").get("web", subresource: "status")
        #expect(status.path == "/apis/apps/v1/namespaces/prod/deployments/web/status")
        #expect(status.method == .get && status.verb == "get")
    }

    @Test func listQuery() throws {
        var options = ListOptions(limit: 500, continueToken: "abc=", resourceVersion: "0", resourceVersionMatch: .notOlderThan)
        options.labelSelector = try LabelSelector(parsing: "app=web,env in (a,b)")
        options.fieldSelector = .equals("status.phase", "Running")
        let request = try RequestBuilder(resource: pods, namespace: "default").list(options)
        #expect(request.verb == "list")
        #expect(
            request.pathAndQuery
                == "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb%2Cenv%20in%20%28a%2Cb%29&fieldSelector=status.phase%3DRunning&limit=500&continue=abc%3D&resourceVersion=0&resourceVersionMatch=NotOlderThan"
        )
    }

    @Test func watchIsStreamingWithBookmarks() throws {
        let request = try RequestBuilder(resource: pods, namespace: nil)
            .watch(WatchOptions(resourceVersion: "42", timeoutSeconds: 290, sendInitialEvents: true, resourceVersionMatch: .notOlderThan))
        #expect(request.isStreaming && !request.isReplayable)
        #expect(request.verb == "watch")
        #expect(
            request.pathAndQuery
                == "/api/v1/pods?watch=true&resourceVersion=42&resourceVersionMatch=NotOlderThan&timeoutSeconds=290&allowWatchBookmarks=true&sendInitialEvents=true"
        )
    }

    @Test func writesCarryBodiesAndOptions() throws {
        let builder = RequestBuilder(resource: pods, namespace: "ns")
        let create = try builder.create(body: Data("{}".utf8), options: WriteOptions(dryRun: true, fieldManager: "me"))
        #expect(create.method == .post && create.pathAndQuery == "/api/v1/namespaces/ns/pods?dryRun=All&fieldManager=me")
        #expect(create.headers["Content-Type"] == "application/json")

        let delete = try builder.delete("p", options: DeleteOptions(propagationPolicy: .foreground, preconditions: .init(resourceVersion: "7")))
        let body = try JSONDecoder().decode(JSONValue.self, from: delete.body ?? Data())
        #expect(body["propagationPolicy"] == "Foreground")
        #expect(body["preconditions"]?["resourceVersion"] == "7")
        #expect(body["kind"] == "DeleteOptions")

        let collection = try builder.deleteCollection(listOptions: ListOptions(labelSelector: try LabelSelector(parsing: "a")))
        #expect(collection.verb == "deletecollection" && collection.pathAndQuery == "/api/v1/namespaces/ns/pods?labelSelector=a")
    }

    @Test func createOnASubresource() throws {
        let serviceAccounts = ResourceDescriptor(group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true)
        let token = try RequestBuilder(resource: serviceAccounts, namespace: "ns")
            .create("app", subresource: "token", body: Data("{}".utf8), options: WriteOptions(dryRun: true))
        #expect(token.method == .post && token.verb == "create")
        #expect(token.pathAndQuery == "/api/v1/namespaces/ns/serviceaccounts/app/token?dryRun=All")
        #expect(token.headers["Content-Type"] == "application/json")
        #expect(token.body == Data("{}".utf8))
        let eviction = try RequestBuilder(resource: pods, namespace: "ns").create("web-0", subresource: "eviction", body: Data())
        #expect(eviction.pathAndQuery == "/api/v1/namespaces/ns/pods/web-0/eviction")
        for bad in ["", "..", "a/b"] {
            #expect(throws: RequestError.self) { try RequestBuilder(resource: pods, namespace: "ns").create("web-0", subresource: bad, body: Data()) }
        }
        #expect(throws: RequestError.self) { try RequestBuilder(resource: pods, namespace: nil).create("web-0", subresource: "eviction", body: Data()) }
    }

    @Test func patchesPickTheirContentType() throws {
        let builder = RequestBuilder(resource: deployments, namespace: "ns")
        let kinds: [(Patch, String)] = [
            (.json([.replace("/spec/replicas", 3)]), "application/json-patch+json"),
            (.merge(["spec": ["replicas": 3]]), "application/merge-patch+json"),
            (.strategic(["spec": ["replicas": 3]]), "application/strategic-merge-patch+json"),
            (.apply(["spec": ["replicas": 3]]), "application/apply-patch+yaml"),
        ]
        for (patch, contentType) in kinds {
            let request = try builder.patch("web", patch: patch, subresource: "scale", options: PatchOptions(fieldManager: "ctl", force: true))
            #expect(request.headers["Content-Type"] == contentType)
            #expect(request.pathAndQuery == "/apis/apps/v1/namespaces/ns/deployments/web/scale?fieldManager=ctl&force=true")
        }
        let jsonPatch = try builder.patch("web", patch: .json([.replace("/spec/replicas", 3)]))
        #expect(String(decoding: jsonPatch.body ?? Data(), as: UTF8.self) == #"[{"op":"replace","path":"\/spec\/replicas","value":3}]"#)
    }

    @Test func rejectsBadRequests() {
        let builder = RequestBuilder(resource: pods, namespace: nil)
        #expect(throws: RequestError.self) { try builder.get("web") }  // namespaced, no namespace
        #expect(throws: RequestError.self) { try builder.create(body: Data()) }
        let scoped = RequestBuilder(resource: pods, namespace: "ns")
        for bad in ["", ".", "..", "a/b", "a%2F"] {
            #expect(throws: RequestError.self) { try scoped.get(bad) }
        }
        #expect(throws: RequestError.self) { try scoped.patch("p", patch: .apply([:])) }  // no fieldManager
        #expect(throws: RequestError.self) { try RequestBuilder(resource: pods, namespace: "a/b").list() }
    }

    @Test func logs() throws {
        let request = try RequestBuilder(resource: pods, namespace: "ns").logs("p", options: LogOptions(container: "app", follow: true, tailLines: 10))
        #expect(request.isStreaming)
        #expect(request.pathAndQuery == "/api/v1/namespaces/ns/pods/p/log?container=app&follow=true&tailLines=10")
    }
}
