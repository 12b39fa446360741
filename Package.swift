// swift-tools-version:6.0
import PackageDescription

/// Pulse: a self-hosted infrastructure monitor. Layout: `Common/`, `Agent/`, `Hub/`, `Tests/`, one folder per target.
/// Only the toolchain's modules and Debian C libraries are used (no outside Swift packages).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "pulse",
    products: [
        .executable(name: "pulse-hub", targets: ["pulse-hub"]),
        .executable(name: "pulse-agent", targets: ["pulse-agent"]),
        .executable(name: "pulse-bench", targets: ["pulse-bench"]),
        .executable(name: "pulse-store-bench", targets: ["pulse-store-bench"]),
        .executable(name: "pulse-agent-bench", targets: ["pulse-agent-bench"]),
        .executable(name: "pulse-report-bench", targets: ["pulse-report-bench"]),
    ],
    targets: [
        // C libraries: a module map and a shim header each, nothing else.
        .systemLibrary(name: "CSQLite", path: "Common/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Common/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", path: "Common/CMicroHTTPD", pkgConfig: "libmicrohttpd",
                       providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CCurl", path: "Common/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSystemd", path: "Common/CSystemd", pkgConfig: "libsystemd",
                       providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CCrypt", path: "Common/CCrypt", pkgConfig: "libxcrypt",
                       providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CCairo", path: "Common/CCairo", pkgConfig: "cairo",
                       providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CZlib", path: "Common/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CYAML", path: "Common/CYAML", pkgConfig: "yaml-0.1",
                       providers: [.apt(["libyaml-dev"])]),

        // Shared by both programs: wire types, scopes, JSON coding, logging, crypto, the HTTP client.
        .target(name: "PulseCommon", dependencies: ["COpenSSL", "CCurl", "CYAML"], path: "Common/PulseCommon",
                swiftSettings: swiftSettings),

        // The agent.
        .target(name: "PulseAgent", dependencies: ["PulseCommon"], path: "Agent/PulseAgent",
                swiftSettings: swiftSettings),
        .executableTarget(name: "pulse-agent", dependencies: ["PulseAgent"], path: "Agent/pulse-agent",
                          swiftSettings: swiftSettings),
        // Agent collection cost next to prometheus-node-exporter (docs/benchmarks.md).
        .executableTarget(name: "pulse-agent-bench", dependencies: ["PulseAgent", "PulseCommon"],
                          path: "Agent/pulse-agent-bench", swiftSettings: swiftSettings),

        // The hub.
        .target(name: "PulseHub", dependencies: ["PulseCommon", "CSQLite", "CMicroHTTPD", "CSystemd", "CCrypt", "CCairo", "CZlib"],
                path: "Hub/PulseHub", swiftSettings: swiftSettings),
        .executableTarget(name: "pulse-hub", dependencies: ["PulseHub"], path: "Hub/pulse-hub",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "pulse-bench", dependencies: ["PulseCommon"], path: "Hub/pulse-bench",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "pulse-store-bench", dependencies: ["PulseHub"], path: "Hub/pulse-store-bench",
                          swiftSettings: swiftSettings),
        // Report generation time and size for a 7-day host report (docs/benchmarks.md).
        .executableTarget(name: "pulse-report-bench", dependencies: ["PulseHub"], path: "Hub/pulse-report-bench",
                          swiftSettings: swiftSettings),

        // Tests.
        .testTarget(name: "CommonTests", dependencies: ["PulseCommon"], path: "Tests/CommonTests",
                    resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "HubTests", dependencies: ["PulseHub"], path: "Tests/HubTests",
                    swiftSettings: swiftSettings),
        // Fixture trees mirror sysfs, symlink cycles included: excluded from the target (SwiftPM would follow the
        // links without end) and read in place through #filePath.
        .testTarget(name: "AgentTests", dependencies: ["PulseAgent"], path: "Tests/AgentTests",
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
        // Browser/ holds the headless-Chromium driver script (Python, Selenium) the dashboard tests run.
        .testTarget(name: "IntegrationTests", dependencies: ["PulseCommon"], path: "Tests/IntegrationTests",
                    exclude: ["Browser"], swiftSettings: swiftSettings),
    ]
)
