// swift-tools-version:6.1
// Benchmarks live in their own package (as swift-nio does) so the main build stays light.
// Run: cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "PassportLedgerBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "PassportLedger", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "LedgerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PassportLedger", package: "PassportLedger"),
                .product(name: "PassportIngest", package: "PassportLedger"),
                .product(name: "PassportAudit", package: "PassportLedger"),
                .product(name: "PassportModel", package: "PassportLedger"),
                .product(name: "PassportDemoData", package: "PassportLedger"),
                .product(name: "PassportQR", package: "PassportLedger"),
                .product(name: "PassportKafka", package: "PassportLedger"),
                .product(name: "PassportKafkaTesting", package: "PassportLedger"),
            ],
            path: "Benchmarks/LedgerBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            // As dpp: the figures are those of the binary we ship, which links jemalloc.
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
