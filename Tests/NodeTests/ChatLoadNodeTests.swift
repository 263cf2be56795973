import Foundation
import Testing
import TestSupport

/// Our own Swift client (chat-load) chatting through the real chat-node: every message
/// acknowledged and delivered to every other member, with the memory store and with three
/// real Valkey shards. Consistency checks only, no timing thresholds.
@Suite(.serialized) struct ChatLoadNodeTests {
    private func chat(on node: ChatNodeProcess) async throws -> [String: Any] {
        let port = node.port
        let secret = node.secret
        let output = try await onOwnThread {
            try ChatLoadBinary.run([
                "chat", "--url", "ws://127.0.0.1:\(port)/ws", "--secret", secret, "--connections", "60", "--rooms", "6",
                "--rate", "150", "--duration", "3", "--json", "--quiet",
            ])
        }
        #expect(output.status == 0, "\(output.stderr)")
        return try #require(output.json, "not JSON: \(output.stdout)")
    }

    private func expectEverythingDelivered(_ json: [String: Any]) {
        #expect(jsonInt(json, "connections", "opened") == 60)
        #expect(jsonInt(json, "connections", "joined") == 60)
        let sent = jsonInt(json, "messages", "sent") ?? -1
        #expect(sent > 0)
        #expect(jsonInt(json, "messages", "acked") == sent)
        let expected = jsonInt(json, "messages", "expected") ?? -1
        #expect(expected == sent * 9, "60 connections in 6 rooms: 9 other members each")
        #expect(jsonInt(json, "messages", "delivered") == expected)
        #expect(jsonInt(json, "messages", "loss") == 0)
        #expect(jsonInt(json, "messages", "extra") == 0)
    }

    @Test func chatThroughTheNodeWithTheMemoryStore() async throws {
        let node = try ChatNodeProcess(environment: ["STORE": "memory", "RATE_LIMIT": "100000"])
        defer { node.stop() }
        try await node.waitUntilHealthy()
        expectEverythingDelivered(try await chat(on: node))
    }

    @Test func chatThroughTheNodeWithThreeValkeyShards() async throws {
        let shards = try (0..<3).map { _ in try ValkeyServer() }
        let node = try ChatNodeProcess(environment: [
            "STORE": "valkey", "VALKEY_HOSTS": shards.map(\.address).joined(separator: ","), "RATE_LIMIT": "100000",
        ])
        defer { node.stop() }
        try await node.waitUntilHealthy()
        expectEverythingDelivered(try await chat(on: node))
    }
}
