// swift-tools-version: 6.1
import PackageDescription

// One module per part of DESIGN.md. C libraries are wrapped once each, in a
// system-library target that only its owning module imports:
//   CFerryOpenSSL → FerrySeal, CFerryZstd → FerrySeal, CFerryCurl → FerryTransport
// (whose HTTPClient the http adapter uses), CFerryIconv (the C library's iconv), CFerryMariaDB
// (MariaDB Connector/C) and CFerryODBC (unixODBC) → FerryAdapters.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Ferry",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
        .library(name: "Ferry", targets: ["FerryNode", "FerryOps"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // HTTPS for the receiving endpoint: Hummingbird's TLS runs on it (postgres-nio needs it too).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CFerryOpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CFerryCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CFerryZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CFerryIconv"),
        // The MySQL wire protocol (MySQL, MariaDB, OceanBase, TiDB…) for the mysql adapter.
        .systemLibrary(
            name: "CFerryMariaDB", pkgConfig: "libmariadb",
            providers: [.apt(["libmariadb-dev"])]),
        // ODBC driver manager for the odbc adapter (DM8, Oracle and any database with a driver).
        .systemLibrary(
            name: "CFerryODBC", pkgConfig: "odbc",
            providers: [.apt(["unixodbc-dev"])]),
        // Tests only: libxml2's HTML parser reads what the console writes (FerryTestHTML).
        .systemLibrary(
            name: "CFerryLibXML2", pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]),

        // Core: values and records, the config model and its loader, lane ids, errors, JSON, keyed hashes.
        .target(
            name: "FerryCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        // Mapping: mapping files, code tables, validators, the canonical encoding and record digests.
        .target(
            name: "FerryMapping",
            dependencies: ["FerryCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        // Seal: crypto suites, keys, the bundle format and the record, receipt and resend lines in it.
        .target(
            name: "FerrySeal",
            dependencies: ["FerryCore", "CFerryOpenSSL", "CFerryZstd"],
            swiftSettings: strict),
        // Queue, the store: NodeStore and StoreTransaction over the outbox, inbox, ledger, cursors,
        // quarantine, digest index and reconcile runs; with FerryAudit the only SQL on the node's store.
        // SQLite through GRDB, or PostgreSQL through PostgresNIO for several workers on one store.
        .target(
            name: "FerryQueue",
            dependencies: [
                "FerryCore", "FerryReconcile", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),
        // Transport: the directory drop, HTTP push and its receiving endpoint, the HTTP client.
        .target(
            name: "FerryTransport",
            dependencies: ["FerryCore", "CFerryCurl"],
            swiftSettings: strict),
        // Adapters: the source/sink protocol, the registry and the built-in adapters.
        .target(
            name: "FerryAdapters",
            dependencies: [
                "FerryCore", "FerryTransport", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), "CFerryIconv", "CFerryMariaDB", "CFerryODBC",
            ],
            swiftSettings: strict,
            // glibc has iconv built in; macOS keeps it in libiconv.
            linkerSettings: [.linkedLibrary("iconv", .when(platforms: [.macOS]))]),
        // Reconcile: digest trees, sketches and the cross-gap protocol (ReconcileRun).
        .target(name: "FerryReconcile", dependencies: ["FerryCore"], swiftSettings: strict),
        // Audit: the hash-chained log, its tables, queries, verification and exports.
        .target(
            name: "FerryAudit",
            dependencies: ["FerryCore", "FerrySeal", "FerryQueue"],
            swiftSettings: strict),
        // Console: web pages, JSON API and metrics, over a backend it is given.
        .target(
            name: "FerryConsole",
            dependencies: [
                "FerryCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // Node: flows, the scheduler and the pipeline stages; apply and the outbound lifecycle as planners.
        .target(
            name: "FerryNode",
            dependencies: [
                "FerryCore", "FerryMapping", "FerrySeal", "FerryQueue", "FerryTransport",
                "FerryAdapters", "FerryAudit", "FerryConsole", "FerryReconcile",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // One function per operator and auditor command, over a node: queue, audit, bundle,
        // adapter and console-user tools, check and init.
        .target(
            name: "FerryOps",
            dependencies: [
                "FerryNode", "FerryCore", "FerryMapping", "FerrySeal", "FerryQueue", "FerryTransport",
                "FerryAdapters", "FerryAudit", "FerryConsole", "FerryReconcile",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // Benchmarks and the demo's scenario runner: linked only by `ferry`, never part of
        // the library product (like Hummingbird's Benchmarks/ and NIO's NIOPerformanceTester).
        .target(
            name: "FerryBench",
            dependencies: [
                "FerryNode", "FerryOps", "FerryCore", "FerryMapping", "FerrySeal", "FerryQueue",
                "FerryAdapters", "FerryAudit", "FerryReconcile",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "ferry",
            dependencies: [
                "FerryNode", "FerryOps", "FerryBench", "FerryCore", "FerrySeal", "FerryAudit", "FerryMapping",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        .target(name: "FerryTestHTML", dependencies: ["CFerryLibXML2"], path: "Tests/FerryTestHTML", swiftSettings: strict),
        // Tests only: real systems and certificates several test targets use.
        .target(name: "FerryTestSupport", dependencies: ["FerryCore", "FerryTransport", "FerryQueue", "FerryAudit", "FerryAdapters"], path: "Tests/FerryTestSupport", swiftSettings: strict),
        .testTarget(name: "FerryCoreTests", dependencies: ["FerryCore", "FerryTestHTML"], swiftSettings: strict),
        .testTarget(name: "FerryReconcileTests", dependencies: ["FerryReconcile", "FerryMapping", "FerrySeal", "FerryCore"], swiftSettings: strict),
        .testTarget(
            name: "FerryAdaptersTests", dependencies: ["FerryAdapters", "FerryMapping", "FerryTransport", "FerryCore", "FerrySeal", "FerryTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "FerryAuditTests",
            dependencies: ["FerryAudit", "FerryQueue", "FerrySeal", "FerryCore", "FerryTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(
            name: "FerryOpsTests",
            dependencies: ["FerryOps", "FerryNode", "FerrySeal", "FerryCore", "FerryTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "FerryQueueTests",
            dependencies: ["FerryQueue", "FerryAudit", "FerryReconcile", "FerryCore", "FerryTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(name: "FerryConsoleTests", dependencies: ["FerryConsole", "FerryCore"], swiftSettings: strict),
        .testTarget(name: "FerryMappingTests", dependencies: ["FerryMapping", "FerrySeal", "FerryCore"], swiftSettings: strict),
        .testTarget(name: "FerrySealTests", dependencies: ["FerrySeal", "FerryCore"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "FerryTransportTests", dependencies: ["FerryTransport", "FerryCore"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "FerryNodeTests",
            // `ferry` itself, so crash tests can kill -9 a real process mid-sync.
            dependencies: ["FerryNode", "FerryCore", "FerryAudit", "FerryQueue", "FerryTransport", "FerrySeal", "FerryMapping", "FerryAdapters", "FerryReconcile", "FerryOps", "FerryBench", "ferry", "FerryTestHTML",
                "FerryTestSupport",
            ],
            swiftSettings: strict),
    ]
)
