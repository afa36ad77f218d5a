// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "JobFleet",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "jobfleet", targets: ["jobfleet"]),
        .executable(name: "jobfleet-agent", targets: ["jobfleet-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // libssh2 from the system (Debian: libssh2-1-dev). Includes only, no logic.
        .systemLibrary(
            name: "CLibSSH2",
            pkgConfig: "libssh2",
            providers: [.apt(["libssh2-1-dev", "libssl-dev"])]
        ),
        // Models, protocol messages, checksums and quoting shared by controller and agent.
        // Imports FoundationEssentials only, so the agent stays small.
        .target(
            name: "Shared",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "Controller",
            dependencies: [
                "Shared",
                "CLibSSH2",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // glibc extensions that Swift's Glibc import hides: spawn, accept4, mallopt, NSS pinning (no logic).
        .target(name: "CAgentSupport"),
        .target(
            name: "Agent",
            dependencies: [
                "Shared",
                "CAgentSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "jobfleet", dependencies: ["Controller"]),
        .executableTarget(name: "jobfleet-agent", dependencies: ["Agent"]),
        // Helpers for integration tests: the sandbox fleet, prerequisites, local commands.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SharedTests", dependencies: ["Shared"]),
        .testTarget(name: "ControllerTests", dependencies: ["Controller", "Shared"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "Shared"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Shared", "Controller", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
