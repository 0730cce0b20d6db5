import Foundation
import KubeCore
import KubeModels
import KubeTestServer
import Testing
@testable import KubeClient

/// gzip over TLS against KubeTestServer, which compresses as kube-apiserver does (bodies above
/// 128 KiB, when the request asks): the client asks by default, inflates while the body streams,
/// and stops a body that inflates past ``ClientConfig/maxResponseBodyBytes`` with a typed error.
@Suite("Response compression", .timeLimit(.minutes(3)))
struct CompressionTests {
    /// 40 ConfigMaps of ~5 KB of varied text: a list body of ~200 KB.
    private func seed(_ client: KubeClient) async throws {
        let configMaps = Api<ConfigMap>.namespaced(client, "default")
        for index in 0..<40 {
            let text = (0..<120).map { "line \($0) of item \(index): \(UUID().uuidString)" }.joined(separator: "\n")
            _ = try await configMaps.create(configMap("big-\(index)", data: ["text": text]))
        }
    }

    private func contentEncoding(_ response: KubeResponse) -> String? {
        response.headers.first { $0.name.lowercased() == "content-encoding" }?.value
    }

    @Test func listsTravelGzippedAndDecode() async throws {
        try await Cluster.run { cluster in
            try await seed(cluster.admin)
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let raw = try await cluster.admin.execute(try configMaps.builder.list(ListOptions()), logger: cluster.admin.logger)
            #expect(raw.statusCode == 200)
            #expect(contentEncoding(raw) == "gzip")
            // Handed over inflated: JSON, larger than the threshold.
            #expect(raw.body.count > 128 * 1024)
            #expect(raw.body.first == UInt8(ascii: "{"))

            let list = try await configMaps.list()
            #expect(list.items.count == 41)
            #expect(list.items.first { $0.metadata.name == "big-7" }?.data?["text"]?.hasPrefix("line 0 of item 7: ") == true)
            var listed = 0
            for try await _ in configMaps.listAll(pageSize: 30) { listed += 1 }
            #expect(listed == 41)
            // A small answer is not compressed.
            let one = try await cluster.admin.execute(try configMaps.builder.get("big-3"), logger: cluster.admin.logger)
            #expect(contentEncoding(one) == nil)
        }
    }

    @Test func compressionOffAsksForIdentity() async throws {
        try await Cluster.run { cluster in
            try await seed(cluster.admin)
            var config = try cluster.adminConfig()
            config.compression = false
            let client = try cluster.client(config)
            let configMaps = Api<ConfigMap>.namespaced(client, "default")
            let raw = try await client.execute(try configMaps.builder.list(ListOptions()), logger: client.logger)
            #expect(contentEncoding(raw) == nil)
            #expect(try await configMaps.list().items.count == 41)
        }
    }

    /// ~200 KB of JSON arrives as far fewer gzip bytes: the limit counts what it inflates to.
    @Test func inflatingPastTheLimitFailsTyped() async throws {
        try await Cluster.run { cluster in
            try await seed(cluster.admin)
            var config = try cluster.adminConfig()
            config.maxResponseBodyBytes = 150 * 1024
            let client = try cluster.client(config)
            let configMaps = Api<ConfigMap>.namespaced(client, "default")
            let error = await #expect(throws: KubeError.self) { _ = try await configMaps.list() }
            #expect(error?.code == .responseTooLarge)
            #expect(error?.message.contains("inflates past the configured limit") == true, "\(String(describing: error))")
            // The same limit without compression stops the plain body.
            config.compression = false
            let plain = try cluster.client(config)
            let plainError = await #expect(throws: KubeError.self) { _ = try await Api<ConfigMap>.namespaced(plain, "default").list() }
            #expect(plainError?.code == .responseTooLarge)
            // Small answers are unaffected by the limit, and the client still works after the failure.
            #expect(try await configMaps.get("big-1").metadata.name == "big-1")
        }
    }
}
