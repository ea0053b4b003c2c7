// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "PassportLedger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "dpp", targets: ["dpp"]),
        .library(name: "PassportModel", targets: ["PassportModel"]),
        .library(name: "PassportAudit", targets: ["PassportAudit"]),
        .library(name: "PassportLedger", targets: ["PassportLedger"]),
        .library(name: "PassportDemoData", targets: ["PassportDemoData"]),
        .library(name: "PassportIngest", targets: ["PassportIngest"]),
        .library(name: "PassportDocuments", targets: ["PassportDocuments"]),
        .library(name: "PassportServer", targets: ["PassportServer"]),
        .library(name: "PassportQR", targets: ["PassportQR"]),
        .library(name: "PassportKafka", targets: ["PassportKafka"]),
        .library(name: "PassportKafkaTesting", targets: ["PassportKafkaTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // YAML for connector mapping files; only PassportIngest uses it.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // Writes the demo's and tests' xlsx workbooks; PassportDocuments reads them with its own
        // bounded reader over zlib.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // HTTP server, lifecycle, logs and metrics; only PassportServer (and dpp) use them.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB", path: "Sources/CLMDB", pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(
            name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(
            name: "CQRencode", path: "Sources/CQRencode", pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]),
        // Not "CZlib": ZIPFoundation declares a clang module of that name, and module names are
        // global, so a target that sees both (the test runner, a server) would not compile.
        .systemLibrary(
            name: "CZlibSystem", path: "Sources/CZlibSystem", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // librdkafka: only PassportKafka (and its mock cluster for tests and benchmarks) link it.
        .systemLibrary(
            name: "CRdKafka", path: "Sources/CRdKafka", pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]),
        .target(name: "Sodium", dependencies: ["CSodium"], swiftSettings: strict),
        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: strict),
        .target(name: "PassportModel", swiftSettings: strict),
        // QR codes (SVG, PNG) of GS1 Digital Link URIs; C libraries only, no server library.
        .target(name: "PassportQR", dependencies: ["CQRencode", "CZlibSystem"], swiftSettings: strict),
        .target(name: "PassportAudit", dependencies: ["PassportModel", "Sodium"], swiftSettings: strict),
        .target(
            name: "PassportLedger", dependencies: ["PassportModel", "PassportAudit", "Sodium", "LMDB"],
            swiftSettings: strict),
        .target(
            name: "PassportDocuments", dependencies: ["PassportModel", "CZlibSystem"],
            swiftSettings: strict),
        .target(
            name: "PassportIngest",
            dependencies: ["PassportModel", "PassportAudit", "PassportLedger", "PassportDocuments", "Sodium", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        .target(
            name: "PassportDemoData",
            dependencies: [
                "PassportModel",
                // Demo and test workbooks (xlsx) are written with ZIPFoundation.
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict),
        .target(
            name: "PassportServer",
            dependencies: [
                "PassportModel", "PassportAudit", "PassportLedger", "PassportIngest", "PassportQR", "Sodium",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        // The Kafka consumer: Debezium and EPCIS topics into the ledger, exactly-once in effect.
        .target(
            name: "PassportKafka",
            dependencies: [
                "CRdKafka", "PassportIngest", "PassportLedger", "PassportModel",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // librdkafka's mock cluster and a producer, for tests and benchmarks (no broker needed).
        .target(name: "PassportKafkaTesting", dependencies: ["CRdKafka", "PassportKafka"], swiftSettings: strict),
        .executableTarget(
            name: "dpp",
            dependencies: [
                "PassportModel", "PassportAudit", "PassportLedger", "PassportIngest", "PassportDemoData", "PassportServer", "PassportKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            // jemalloc (Debian libjemalloc-dev) replaces glibc's malloc in the one binary we ship:
            // ingest allocates many small JSON trees on two threads, and measured 9 % less wall
            // time with it (Benchmarks/README.md). Libraries and tests keep the system allocator.
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]),
        .target(
            name: "PassportTestSupport",
            dependencies: [
                "PassportModel", "PassportAudit", "PassportLedger", "PassportIngest", "PassportDemoData", "Sodium",
            ],
            path: "Tests/PassportTestSupport", swiftSettings: strict),
        .testTarget(name: "SodiumTests", dependencies: ["Sodium"], swiftSettings: strict),
        // CZlibSystem only to inflate the PNG's pixels in a test; the round trip goes through zbarimg.
        .testTarget(name: "PassportQRTests", dependencies: ["PassportQR", "CZlibSystem"], swiftSettings: strict),
        .testTarget(name: "PassportModelTests", dependencies: ["PassportModel", "PassportDemoData"], swiftSettings: strict),
        .testTarget(
            name: "PassportAuditTests", dependencies: ["PassportAudit", "PassportModel", "Sodium"], exclude: ["Vectors"],
            swiftSettings: strict),
        .testTarget(
            name: "PassportLedgerTests",
            dependencies: ["PassportLedger", "PassportIngest", "PassportAudit", "PassportModel", "PassportDemoData", "LMDB", "Sodium", "PassportTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "PassportIngestTests",
            dependencies: ["PassportIngest", "PassportModel", "PassportLedger", "PassportTestSupport", "PassportDemoData", "PassportDocuments"],
            exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "PassportServerTests",
            dependencies: [
                "PassportServer", "PassportTestSupport", "PassportLedger", "PassportModel", "PassportAudit", "PassportDemoData", "PassportQR",
                "PassportIngest", "Sodium",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PassportKafkaTests",
            dependencies: [
                "PassportKafka", "PassportKafkaTesting", "PassportIngest", "PassportLedger", "PassportModel", "PassportTestSupport",
                "PassportDemoData",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "DPPCLITests",
            // PassportKafkaTesting: the mock Kafka cluster `dpp ingest kafka` connects to.
            dependencies: ["PassportTestSupport", "PassportAudit", "PassportModel", "PassportLedger", "PassportDemoData", "PassportKafkaTesting"],
            swiftSettings: strict),
    ]
)
