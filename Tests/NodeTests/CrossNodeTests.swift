import Foundation
import Testing
import TestSupport

/// Two chat-node processes sharing three Valkey shards: messages cross nodes through the
/// room channels and both nodes read the same history.
@Suite struct CrossNodeTests {
    @Test func usersOnTwoNodesTalkInOneRoom() async throws {
        let shards = try (0..<3).map { _ in try ValkeyServer() }
        let hosts = shards.map(\.address).joined(separator: ",")
        let nodeA = try ChatNodeProcess(environment: ["STORE": "valkey", "VALKEY_HOSTS": hosts, "NODE_ID": "1"])
        defer { nodeA.stop() }
        let nodeB = try ChatNodeProcess(environment: ["STORE": "valkey", "VALKEY_HOSTS": hosts, "NODE_ID": "2"])
        defer { nodeB.stop() }
        try await nodeA.waitUntilHealthy()
        try await nodeB.waitUntilHealthy()
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/cross_node_check.py").path
        let (status, output) = try await runProcess(python, [script, String(nodeA.port), String(nodeB.port), nodeA.secret])
        #expect(status == 0, "cross-node checks failed:\n\(output)")
        #expect(output.contains("ok across nodes"))
        #expect(output.contains("ok shared history"))
    }
}
