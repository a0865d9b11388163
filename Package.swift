// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "archive-sync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "archive-sync", targets: ["archive-sync"]),
        // For the fuzz targets in Fuzz/ (a package of their own that depends on this one).
        .library(name: "ArchiveModel", targets: ["ArchiveModel"]),
        .library(name: "WireProtocol", targets: ["WireProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "ArchiveModel",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "EventJournal",
            dependencies: ["ArchiveModel", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "ArticleProjector",
            dependencies: ["ArchiveModel", "EventJournal", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "ArchiveFolder",
            dependencies: ["ArchiveModel", "EventJournal", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "SyncBookkeeping",
            dependencies: ["ArchiveModel", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "Replica",
            dependencies: [
                "ArchiveModel", "EventJournal", "ArticleProjector", "ArchiveFolder", "SyncBookkeeping",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "ArticleGenerator", dependencies: ["ArchiveModel"]),
        .target(
            name: "WireProtocol",
            dependencies: [
                "ArchiveModel",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "SyncServer",
            dependencies: [
                "ArchiveModel", "EventJournal", "Replica", "SyncBookkeeping", "WireProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CurlShim", dependencies: ["CCurl"]),
        .target(
            name: "SyncClient",
            dependencies: [
                "ArchiveModel", "EventJournal", "Replica", "SyncBookkeeping", "WireProtocol", "CCurl", "CurlShim",
            ]
        ),
        .executableTarget(
            name: "archive-sync",
            dependencies: [
                "ArchiveModel", "EventJournal", "ArticleProjector", "ArchiveFolder", "Replica", "SyncBookkeeping",
                "ArticleGenerator", "WireProtocol", "SyncServer", "SyncClient",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // Signatures made and checked per second (scripts/bench --only signatures).
        .executableTarget(
            name: "archive-sync-bench-signatures", dependencies: ["ArchiveModel"], path: "Sources/SignatureBench"),
        .target(
            name: "TestSupport",
            dependencies: [
                "ArchiveModel", "Replica", "ArticleGenerator", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/TestSupport"),
        .testTarget(name: "ArchiveModelTests", dependencies: ["ArchiveModel", "ArticleGenerator", "TestSupport"]),
        .testTarget(
            name: "EventJournalTests",
            dependencies: [
                "EventJournal", "ArchiveModel", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "ArticleProjectorTests",
            dependencies: [
                "ArticleProjector", "EventJournal", "ArchiveModel", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "ReplicaTests",
            dependencies: [
                "Replica", "ArchiveFolder", "ArticleProjector", "EventJournal", "ArchiveModel", "ArticleGenerator",
                "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "WireProtocolTests", dependencies: ["WireProtocol", "ArchiveModel", "TestSupport"]),
        .testTarget(
            name: "SyncClientTests",
            dependencies: [
                "SyncClient", "WireProtocol", "Replica", "SyncBookkeeping", "ArchiveModel", "EventJournal",
                "TestSupport",
            ]),
        .testTarget(
            name: "SyncServerTests",
            dependencies: [
                "SyncServer", "WireProtocol", "Replica", "ArchiveModel", "EventJournal", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "archive-sync", "ArchiveModel", "ArticleGenerator", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
    ]
)
