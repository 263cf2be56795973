// swift-tools-version:6.0
// The chat cluster node: see README.md and docs/architecture.md.
import PackageDescription
import Foundation

/// Fuzz targets link libFuzzer's main and only build with `--sanitize=fuzzer`;
/// `scripts/fuzz` sets CHAT_FUZZ=1 so that ordinary builds never see them.
let fuzzing = ProcessInfo.processInfo.environment["CHAT_FUZZ"] != nil

var products: [Product] = [
    .executable(name: "chat-node", targets: ["ChatNode"]),
    .executable(name: "chatctl", targets: ["ChatCtl"]),
    .executable(name: "chat-load", targets: ["ChatLoad"]),
    .executable(name: "actors-bench", targets: ["ActorsBench"]),
    .executable(name: "gateway-bench", targets: ["GatewayBench"]),
    .executable(name: "store-bench", targets: ["StoreBench"]),
    .executable(name: "shards-bench", targets: ["ShardsBench"]),
    .library(name: "Actors", targets: ["Actors"]),
    .library(name: "Gateway", targets: ["Gateway"]),
    .library(name: "Rooms", targets: ["Rooms"]),
    .library(name: "Shards", targets: ["Shards"]),
]

var targets: [Target] = [
    // MARK: C libraries (system-library targets with a header-only shim)
    .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
    .systemLibrary(name: "CHiredis", path: "Sources/CHiredis"),
    .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
    .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

    // MARK: Libraries
    .target(name: "Actors", dependencies: ["CLinux"]),
    .target(name: "Gateway", dependencies: ["Actors", "CLinux", "COpenSSL", "CZlib"]),
    .target(name: "Shards", dependencies: ["Actors", "Gateway", "CLinux", "CHiredis", "CZstd"]),
    .target(name: "Rooms", dependencies: ["Actors", "Gateway", "Shards", "COpenSSL"]),
    .target(name: "NodeKit", dependencies: ["Actors", "Gateway", "Rooms", "Shards", "CLinux"], path: "Sources/Node/NodeKit"),

    // MARK: Executables
    .executableTarget(name: "ChatNode", dependencies: ["NodeKit"], path: "Sources/Node/chat-node"),
    .executableTarget(name: "ChatCtl", dependencies: ["NodeKit"], path: "Sources/Node/chatctl"),
    .executableTarget(name: "ChatLoad", dependencies: ["Gateway", "Rooms", "CLinux"], path: "Sources/Node/chat-load"),
    .executableTarget(name: "ActorsBench", dependencies: ["Actors"], path: "Sources/Benchmarks/ActorsBench"),
    .executableTarget(name: "GatewayBench", dependencies: ["Gateway", "Actors"], path: "Sources/Benchmarks/GatewayBench"),
    .executableTarget(name: "StoreBench", dependencies: ["Rooms", "Shards", "Gateway", "Actors"], path: "Sources/Benchmarks/StoreBench"),
    .executableTarget(name: "ShardsBench", dependencies: ["Shards", "Gateway", "Actors", "TestSupport"], path: "Sources/Benchmarks/ShardsBench"),

    // MARK: Tests
    .target(name: "TestSupport", dependencies: ["Actors", "CLinux"], path: "Sources/TestSupport"),
    .testTarget(name: "ActorsTests", dependencies: ["Actors", "TestSupport"]),
    .testTarget(name: "GatewayTests", dependencies: ["Gateway", "TestSupport", "COpenSSL"], exclude: ["python"]),
    .testTarget(name: "ShardsTests", dependencies: ["Shards", "TestSupport"]),
    .testTarget(name: "RoomsTests", dependencies: ["Rooms", "TestSupport"]),
    .testTarget(name: "NodeTests", dependencies: ["NodeKit", "TestSupport"], exclude: ["python"]),
]

if fuzzing {
    // Each fuzz target is an executable without main.swift exporting LLVMFuzzerTestOneInput.
    targets.append(.executableTarget(name: "FuzzWebSocket", dependencies: ["Gateway"], path: "Fuzz/FuzzWebSocket"))
    targets.append(.executableTarget(name: "FuzzHTTP", dependencies: ["Gateway"], path: "Fuzz/FuzzHTTP"))
    products.append(.executable(name: "fuzz-websocket", targets: ["FuzzWebSocket"]))
    products.append(.executable(name: "fuzz-http", targets: ["FuzzHTTP"]))
}

let package = Package(
    name: "chat-node",
    platforms: [.macOS(.v15)],
    products: products,
    targets: targets,
    swiftLanguageModes: [.v6]
)
