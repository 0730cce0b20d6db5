// swift-tools-version:6.1
// swift-kubernetes: the Pod's half of the conversation with kube-apiserver.
// Module layout and dependency order: see ../shared/DESIGN.md.
import CompilerPluginSupport
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

// Each area keeps its products and targets in its own section below.
var products: [Product] = []
var targets: [Target] = []

// MARK: - KubeCore: resource protocol, metadata, options, pure request building (Foundation only)
products.append(.library(name: "KubeCore", targets: ["KubeCore"]))
targets.append(.target(name: "KubeCore", swiftSettings: strict))
targets.append(.testTarget(name: "KubeCoreTests", dependencies: ["KubeCore"], swiftSettings: strict))

// MARK: - KubeYAML: the one YAML → JSON conversion (package-internal, no product)
// Its own target so that KubeCore stays Foundation-only (no libyaml for programs that only
// decode JSON); the server, kube-test-server and kubeprobe share it.
targets.append(
    .target(name: "KubeYAML", dependencies: ["KubeCore", .product(name: "Yams", package: "Yams")], swiftSettings: strict))
targets.append(.testTarget(name: "KubeYAMLTests", dependencies: ["KubeYAML", "KubeCore"], swiftSettings: strict))

// MARK: - KubeModels and kube-model-gen
products.append(.library(name: "KubeModels", targets: ["KubeModels"]))
products.append(.executable(name: "kube-model-gen", targets: ["kube-model-gen"]))
targets.append(.target(name: "KubeModels", dependencies: ["KubeCore"], swiftSettings: strict))
targets.append(.target(name: "KubeModelGen", swiftSettings: strict))
targets.append(
    .executableTarget(
        name: "kube-model-gen",
        dependencies: ["KubeModelGen", .product(name: "ArgumentParser", package: "swift-argument-parser")],
        swiftSettings: strict
    )
)
// A libFuzzer target for the protobuf reader (built with -sanitize=fuzzer by .ci/run; without
// the FUZZING flag it replays inputs).
targets.append(.executableTarget(name: "kube-protobuf-fuzz", dependencies: ["KubeCore"], swiftSettings: strict))
// The same for the JSON reader (KubeCore's readers, which the generated model readers are built on).
targets.append(.executableTarget(name: "kube-json-fuzz", dependencies: ["KubeCore"], swiftSettings: strict))
targets.append(
    .testTarget(
        name: "KubeModelsTests", dependencies: ["KubeModels", "KubeModelGen"], exclude: ["Fixtures"],
        swiftSettings: strict
    )
)

// MARK: - KubeCustomResources: @CustomResource / @KubeSchema → KubeResource, CustomResourceDefinition, schema
// A product of its own so that KubeCore users never build swift-syntax; the macro target is built
// for the host only. No test target depends on the macro target (that would build swift-syntax a
// second time, for the target): the tests use the macros and check what they generate.
products.append(.library(name: "KubeCustomResources", targets: ["KubeCustomResources"]))
targets.append(
    .macro(
        name: "KubeCustomResourcesMacros",
        dependencies: [
            .product(name: "SwiftSyntax", package: "swift-syntax"),
            .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
            .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
            .product(name: "SwiftDiagnostics", package: "swift-syntax"),
        ],
        swiftSettings: strict))
targets.append(
    .target(
        name: "KubeCustomResources",
        dependencies: [
            "KubeCustomResourcesMacros", "KubeCore", "KubeModels",
            // The YAML of `crd` (the writer KubeTestServer's application/yaml answers use).
            "KubeYAML",
            // The `crd` subcommand an operator's executable exposes.
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        swiftSettings: strict))
// Every @CustomResource type of a module as `ModuleCustomResources.all`: a build-tool plugin
// and the lexical scanner it runs (no swift-syntax, so a user's build compiles nothing more).
targets.append(.executableTarget(name: "kube-crd-registry", swiftSettings: strict))
targets.append(.plugin(name: "CustomResourceRegistry", capability: .buildTool(), dependencies: ["kube-crd-registry"]))
products.append(.plugin(name: "CustomResourceRegistry", targets: ["CustomResourceRegistry"]))
targets.append(
    .testTarget(
        name: "KubeCustomResourcesTests",
        dependencies: [
            "KubeCustomResources", "KubeCore", "KubeModels", "APIServerSemantics", "KubeTestServer", "KubeClient", "KubeYAML",
            "kube-crd-registry",
        ],
        swiftSettings: strict))

// MARK: - KubeClient
products.append(.library(name: "KubeClient", targets: ["KubeClient"]))
targets.append(
    .target(
        name: "KubeClient",
        dependencies: [
            "KubeCore",
            "KubeModels",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            // The gzip inflater AsyncHTTPClient runs (for its typed errors); already in the graph via AHC.
            .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            .product(name: "Yams", package: "Yams"),
        ],
        swiftSettings: strict))
targets.append(
    .testTarget(
        name: "KubeClientTests",
        dependencies: [
            "KubeClient", "KubeCore", "KubeModels",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: strict))

targets.append(
    .testTarget(
        name: "KubeClientIntegrationTests",
        dependencies: [
            "KubeClient", "KubeTestServer", "KubeModels", "KubeCore",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: strict))

// MARK: - KubeWebhooks: admission and conversion webhook servers (NIO + NIOSSL + NIOHTTP2, no HTTP framework)
products.append(.library(name: "KubeWebhooks", targets: ["KubeWebhooks"]))
targets.append(
    .target(
        name: "KubeWebhooks",
        dependencies: [
            "KubeCore", "KubeModels",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: strict))
targets.append(
    .testTarget(
        name: "KubeWebhooksTests",
        dependencies: [
            "KubeWebhooks", "KubeCore", "KubeModels", "APIServerSemantics",
            // The admission tests run KubeTestServer in front of the webhook server (tests only);
            // the conversion tests read and write through the typed client.
            "KubeTestServer", "KubeClient",
            // `kubeprobe webhook check` is tested against a KubeWebhooks server here.
            "KubeprobeCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            .product(name: "MetricsTestKit", package: "swift-metrics"),
            .product(name: "InMemoryLogging", package: "swift-log"),
        ],
        swiftSettings: strict))

// MARK: - KubeTestServer and kube-test-server
// APIServerSemantics: pure, I/O-free kube-apiserver semantics (patch, apply, RBAC, tables, validation)
targets.append(.target(name: "APIServerSemantics", dependencies: ["KubeCore"], swiftSettings: strict))
targets.append(
    .testTarget(name: "APIServerSemanticsTests", dependencies: ["APIServerSemantics", "KubeCore"], swiftSettings: strict))
products.append(.library(name: "KubeTestServer", targets: ["KubeTestServer"]))
products.append(.executable(name: "kube-test-server", targets: ["kube-test-server"]))
// The system zlib, for kube-apiserver's gzip responses (KubeTestServer only; the client inflates
// with the zlib AsyncHTTPClient's NIOHTTPCompression vendors).
targets.append(.systemLibrary(name: "CZlib", path: "Sources/CZlib"))
targets.append(.target(
    name: "KubeTestServer",
    dependencies: [
        "KubeCore",
        "KubeModels",
        "APIServerSemantics",
        "KubeYAML",
        "CZlib",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOHTTP2", package: "swift-nio-http2"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        // Admission webhook calls (HTTP/2 or HTTP/1.1 over TLS, like kube-apiserver's Go client).
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOTLS", package: "swift-nio"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "DequeModule", package: "swift-collections"),
    ],
    swiftSettings: strict
))
// KubeReplay: replays recorded kube-apiserver exchanges against KubeTestServer and compares the answers
// (the replay suite and `kube-test-server replay`); it must not import KubeClient either.
targets.append(.target(
    name: "KubeReplay",
    dependencies: [
        "KubeTestServer",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Yams", package: "Yams"),
        .product(name: "Logging", package: "swift-log"),
    ],
    swiftSettings: strict
))
targets.append(.testTarget(
    name: "KubeReplayTests",
    dependencies: ["KubeReplay", "KubeTestServer", "kube-test-server"],
    swiftSettings: strict
))
targets.append(.executableTarget(
    name: "kube-test-server",
    dependencies: [
        "KubeTestServer",
        "KubeReplay",
        "KubeCore",
        "KubeYAML",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    ],
    swiftSettings: strict
))
targets.append(.testTarget(
    name: "KubeTestServerTests",
    dependencies: [
        "KubeTestServer",
        "KubeCore",
        "KubeModels",
        "APIServerSemantics",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOCore", package: "swift-nio"),
        // Verifies service-account tokens against the issuer's published key set.
        .product(name: "Crypto", package: "swift-crypto"),
    ],
    swiftSettings: strict
))

// MARK: - KubeRuntime
products.append(.library(name: "KubeRuntime", targets: ["KubeRuntime"]))
targets.append(
    .target(
        name: "KubeRuntime",
        dependencies: [
            "KubeCore", "KubeClient", "KubeModels",
            .product(name: "DequeModule", package: "swift-collections"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            // The operator endpoint (/metrics, /healthz, /readyz): Prometheus text format over plain HTTP/1.1.
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        swiftSettings: strict))
targets.append(
    .testTarget(
        name: "KubeRuntimeTests",
        dependencies: [
            "KubeRuntime", "KubeClient", "KubeCore", "KubeModels", "KubeTestServer",
            // The README operator (Examples/WebAppOperator) and its @CustomResource.
            "KubeCustomResources", "WebAppOperator",
            // A webhook server's certificates as a readiness check.
            "KubeWebhooks",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        swiftSettings: strict))
// A leader-election candidate that writes a fencing log: the multi-process fencing test runs three.
targets.append(
    .executableTarget(
        name: "lease-fencing", dependencies: ["KubeClient", "KubeRuntime",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
        path: "Tests/Helpers/LeaseFencing", swiftSettings: strict))

// Examples (built by CI and run against KubeTestServer)
targets.append(
    .executableTarget(
        name: "config-map-mirror", dependencies: ["KubeClient", "KubeCore", "KubeModels", "KubeRuntime",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
        path: "Examples/ConfigMapMirror", swiftSettings: strict))
targets.append(
    .executableTarget(
        name: "pod-policy-webhook", dependencies: ["KubeWebhooks", "KubeCore", "KubeModels",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
        path: "Examples/PodPolicyWebhook", exclude: ["webhooks.yaml"], swiftSettings: strict))
// The operator users copy: a custom resource from a Swift type, reconciled into owned CronJobs.
targets.append(
    .executableTarget(
        name: "backup-operator", dependencies: ["KubeClient", "KubeCore", "KubeModels", "KubeRuntime", "KubeCustomResources",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
        path: "Examples/BackupOperator", swiftSettings: strict, plugins: ["CustomResourceRegistry"]))
// The README's operator, compiled as the README shows it; KubeRuntimeTests runs it.
targets.append(
    .executableTarget(
        name: "WebAppOperator", dependencies: ["KubeClient", "KubeCustomResources", "KubeModels", "KubeRuntime",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
        path: "Examples/WebAppOperator", swiftSettings: strict))
targets.append(
    .testTarget(
        name: "ExamplesTests", dependencies: ["KubeClient", "KubeCore", "KubeModels", "KubeTestServer", "KubeYAML",
            // PodPolicyWebhook's serving certificate.
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1")],
        swiftSettings: strict))

// MARK: - kubeprobe
// KubeprobeCore holds every command (check, the small kubectl, demo) so tests can call it;
// the kubeprobe executable is a thin @main.
products.append(.executable(name: "kubeprobe", targets: ["kubeprobe"]))
targets.append(
    .target(
        name: "KubeprobeCore",
        dependencies: [
            "KubeClient", "KubeModels", "KubeCore", "KubeTestServer", "KubeRuntime", "KubeYAML",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: strict))
targets.append(.executableTarget(name: "kubeprobe", dependencies: ["KubeprobeCore"], swiftSettings: strict))
targets.append(
    .testTarget(
        name: "KubeprobeTests",
        dependencies: ["KubeprobeCore", "KubeTestServer", "KubeClient", "KubeCore"],
        swiftSettings: strict))

// MARK: - kube-bench
products.append(.executable(name: "kube-bench", targets: ["kube-bench"]))
// Counts malloc calls in kube-bench (it interposes malloc, so only kube-bench links it).
targets.append(.target(name: "KubeBenchMalloc"))
targets.append(
    .executableTarget(
        name: "kube-bench",
        dependencies: [
            "KubeModels", "KubeCore", "KubeClient", "KubeRuntime", "KubeTestServer", "KubeWebhooks", "KubeBenchMalloc",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            // `webhook`: a WebhookServer (a child process), its test PKI and the load generators
            // (raw NIO HTTP/2 and HTTP/1.1 channels, or AsyncHTTPClient).
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ],
        swiftSettings: strict
    )
)
// The minimal in-cluster program whose exec→exit time `kube-bench cold-start` measures.
products.append(.executable(name: "kube-bench-coldstart", targets: ["kube-bench-coldstart"]))
targets.append(
    .executableTarget(name: "kube-bench-coldstart", dependencies: ["KubeClient", "KubeModels", "KubeCore"], swiftSettings: strict))
targets.append(
    .testTarget(
        name: "KubeBenchTests",
        dependencies: ["kube-bench", "kube-bench-coldstart", "kube-test-server", "kubeprobe", "KubeModels", "KubeTestServer", "KubeClient"],
        swiftSettings: strict))

// MARK: - pod simulation (scripts/podsim): kube-proxy for one Service, a watch-based controller, a writer
for (name, extra) in [
    ("KubeProxyLite", [Target.Dependency.product(name: "Crypto", package: "swift-crypto")]),
    ("ConfigMapCache", [.product(name: "Crypto", package: "swift-crypto"), .product(name: "UnixSignals", package: "swift-service-lifecycle")]),
    ("ConfigMapWriter", []),
] {
    targets.append(
        .executableTarget(
            name: name,
            dependencies: [
                "KubeClient", "KubeCore", "KubeModels", "KubeRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + extra,
            path: "Examples/\(name)",
            swiftSettings: strict))
}
targets.append(.testTarget(name: "PodSimTests", dependencies: ["KubeProxyLite"], swiftSettings: strict))

let package = Package(
    name: "swift-kubernetes",
    platforms: [.macOS(.v14)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Not a new dependency: AsyncHTTPClient already depends on it (NIOHTTPCompression, vendored zlib).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.5.2"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        // Only for the KubeCustomResources macros (built for the host).
        .package(url: "https://github.com/swiftlang/swift-syntax.git", from: "603.0.1"),
    ],
    targets: targets
)
