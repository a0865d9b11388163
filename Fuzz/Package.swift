// swift-tools-version:6.1
// Fuzz targets for the parsers that read bytes from outside: one libFuzzer executable each.
// Built and run by `scripts/fuzz` (with `--sanitize=fuzzer`, in .build-fuzz); not part of CI.
import PackageDescription

/// Each target is a file with `@_cdecl("LLVMFuzzerTestOneInput")` and no main: libFuzzer's.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: products.map { .product(name: $0, package: "archive-sync") },
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "archive-sync-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "archive-sync", path: "..")],
    targets: [
        fuzzTarget("FuzzArticleFile", ["ArchiveModel"]),
        fuzzTarget("FuzzEventBatch", ["ArchiveModel", "WireProtocol"]),
        fuzzTarget("FuzzPullRequest", ["ArchiveModel", "WireProtocol"]),
    ]
)
