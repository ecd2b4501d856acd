// swift-tools-version:6.0
// dataflow — 数据回流 toolkit. Dependencies are the ones measured in docs/performance.md.
import PackageDescription

let package = Package(
    name: "dataflow",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "dataflow", targets: ["dataflow"]),
        .executable(name: "dataflow-sandbox", targets: ["dataflow-sandbox"]),
        .library(name: "DataflowCore", targets: ["DataflowCore"]),
        .library(name: "DataflowPostgres", targets: ["DataflowPostgres"]),
        .library(name: "DataflowWarehouses", targets: ["DataflowWarehouses"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Thin C bindings: libcurl's variadic setopt, SQLite and its VFS, OpenSSL libcrypto digests.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // SQLite (libsqlite3-dev), and the "dataflow" VFS that gathers a WAL's appended frames (wal_buffer.c).
        .target(name: "CSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(name: "CCrypto", linkerSettings: [.linkedLibrary("crypto")]),
        // libpq (libpq-dev): PostgreSQL's own client; blocking, like the sync engine (docs/warehouse.md).
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ"),
        // zlib (already loaded by libcurl): raw inflate for the .xlsx reader of `catalog import`.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

        // HTTP transport over libcurl, behind a small protocol.
        .target(name: "DataflowHTTP", dependencies: ["CCurl"]),

        // The core library: Config → Extract → Normalize → Load → Sync → Report. No terminal code.
        .target(
            name: "DataflowCore",
            dependencies: [
                "DataflowHTTP", "CSQLite", "CCrypto", "CZlib",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The PostgreSQL warehouse backend and the exchange-table reader, over libpq.
        .target(name: "DataflowPostgres", dependencies: ["DataflowCore", "CLibPQ"]),

        // The one warehouse factory with every backend, shared by the CLI, the bench and the tests.
        .target(name: "DataflowWarehouses", dependencies: ["DataflowCore", "DataflowPostgres"]),

        // The thin CLI.
        .executableTarget(
            name: "dataflow",
            dependencies: [
                "DataflowCore", "DataflowPostgres", "DataflowWarehouses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The sandbox platform: a simulated provincial gateway on loopback.
        .target(
            name: "SandboxPlatform",
            dependencies: [
                "CCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "dataflow-sandbox", dependencies: ["SandboxPlatform"]),

        // Floors and fixtures for `make bench`.
        .executableTarget(
            name: "dataflow-bench",
            dependencies: [
                "DataflowCore", "DataflowHTTP", "DataflowWarehouses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Test support: a scripted loopback HTTP server and the hostile gateway built on it.
        .target(name: "LoopbackGateway", dependencies: ["DataflowCore", "DataflowHTTP"], path: "Tests/LoopbackGateway"),
        .testTarget(name: "DataflowHTTPTests", dependencies: ["DataflowHTTP", "LoopbackGateway"]),
        .testTarget(name: "DataflowCoreTests", dependencies: ["DataflowCore", "CSQLite", "LoopbackGateway"]),
        .testTarget(name: "SandboxPlatformTests", dependencies: ["SandboxPlatform"]),
        .testTarget(name: "IntegrationTests", dependencies: ["DataflowCore", "DataflowHTTP", "DataflowPostgres", "DataflowWarehouses", "LoopbackGateway"]),
    ],
    swiftLanguageModes: [.v6]
)
