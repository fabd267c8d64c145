// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "loadkit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LoadKit", targets: ["LoadKit"]),
        .library(name: "LoadKitSQLite", targets: ["LoadKitSQLite"]),
        .library(name: "LoadKitPostgres", targets: ["LoadKitPostgres"]),
        .library(name: "LoadKitProject", targets: ["LoadKitProject"]),
        .library(name: "LoadKitTesting", targets: ["LoadKitTesting"]),
        .executable(name: "loadkit", targets: ["LoadKitCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // `swift package generate-documentation --target LoadKitProject` (DocC catalogs in Sources/*/*.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // System libraries: the C modules hold only a module map and a shim header.
        .systemLibrary(
            name: "CLoadKitSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // libpq's header only (Debian libpq-dev, /usr/include/postgresql): not linked, opened
        // with dlopen at the first PostgreSQL connection (Sources/LoadKitPostgres/LibPQ.swift).
        .systemLibrary(
            name: "CLoadKitPQ",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CLoadKitZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The core: schemas, values, sources. Knows no database.
        .target(name: "LoadKit", dependencies: [
            "CLoadKitZlib",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The SQLite driver.
        .target(name: "LoadKitSQLite", dependencies: ["LoadKit", "CLoadKitSQLite"]),
        // The PostgreSQL driver (libpq): connection, statements, transactions, COPY (SPEC.md §7).
        .target(name: "LoadKitPostgres", dependencies: [
            "LoadKit", "CLoadKitPQ",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // A project: `loadkit.yml` (or the same built in code) turned into work, the one place
        // the command and Swift programs share; the warehouse string picks the destination.
        .target(name: "LoadKitProject", dependencies: [
            "LoadKit", "LoadKitSQLite", "LoadKitPostgres",
            .product(name: "Yams", package: "Yams"),
        ]),
        // Helpers for users' test suites (and ours): expectations against a table or a whole project.
        .target(name: "LoadKitTesting", dependencies: ["LoadKit", "LoadKitSQLite", "LoadKitPostgres", "LoadKitProject"]),
        .executableTarget(
            name: "LoadKitCLI",
            dependencies: [
                "LoadKit", "LoadKitProject",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "ReadFlights",
            dependencies: ["LoadKit"],
            path: "Examples/ReadFlights"
        ),
        .executableTarget(
            name: "LibraryPipeline",
            dependencies: ["LoadKit", "LoadKitSQLite"],
            path: "Examples/LibraryPipeline"
        ),
        .executableTarget(
            name: "ProjectPipeline",
            dependencies: ["LoadKitProject"],
            path: "Examples/ProjectPipeline"
        ),
        .executableTarget(
            name: "loadkit-bench",
            dependencies: [
                "LoadKit", "LoadKitSQLite", "LoadKitPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/LoadKitBench"
        ),
        .testTarget(name: "LoadKitTests", dependencies: ["LoadKit", "LoadKitTesting"]),
        .testTarget(name: "LoadKitSQLiteTests", dependencies: ["LoadKitSQLite", "LoadKitTesting"]),
        .testTarget(name: "LoadKitPostgresTests", dependencies: ["LoadKitPostgres", "LoadKitTesting"]),
        .testTarget(name: "LoadKitCLITests", dependencies: ["LoadKitCLI", "LoadKitProject", "LoadKitTesting"]),
        .testTarget(name: "LoadKitTestingTests", dependencies: ["LoadKitTesting", "LoadKitSQLite", "LoadKitProject", "LoadKitCLI"]),
        .testTarget(name: "LoadKitProjectTests", dependencies: ["LoadKitProject", "LoadKitTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
