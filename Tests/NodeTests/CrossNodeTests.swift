import Foundation
import Testing
import TestSupport

/// Two chat-node processes sharing Valkey behave as one service: rooms, history, DMs,
/// typing, receipts, edits and presence cross nodes, every receiver sees a room's messages
/// in id order, a user's rate budget is shared, and a node's death takes its users offline
/// (Tests/NodeTests/python/cross_node_check.py drives the clients).
@Suite(.timeLimit(.minutes(3))) struct CrossNodeTests {
    static func runChecks(_ mode: String, _ nodeA: ChatNodeProcess, _ nodeB: ChatNodeProcess,
                          extra: [String] = []) async throws -> (Int32, String) {
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/cross_node_check.py").path
        return try await runProcess(python, [script, mode, String(nodeA.port), String(nodeB.port), nodeA.secret] + extra)
    }

    /// Two nodes on `hosts` with `environment` added; both healthy.
    static func twoNodes(_ environment: [String: String]) async throws -> (ChatNodeProcess, ChatNodeProcess) {
        let nodeA = try ChatNodeProcess(environment: environment.merging(["NODE_ID": "1"]) { $1 })
        let nodeB = try ChatNodeProcess(environment: environment.merging(["NODE_ID": "2"]) { $1 })
        try await nodeA.waitUntilHealthy()
        try await nodeB.waitUntilHealthy()
        return (nodeA, nodeB)
    }

    /// Two nodes over one Valkey server run the checks of `mode`, which get the server's port
    /// (to reach Valkey beside the nodes); `ok <line>` must be among what they print.
    static func checkOverOneServer(_ mode: String, expecting line: String, environment: [String: String] = [:]) async throws {
        let valkey = try ValkeyServer()
        let (nodeA, nodeB) = try await twoNodes(environment.merging(["STORE": "valkey", "VALKEY_HOSTS": valkey.address]) { $1 })
        defer { nodeA.stop(); nodeB.stop() }
        let (status, output) = try await runChecks(mode, nodeA, nodeB, extra: [String(valkey.port)])
        #expect(status == 0, "\(mode) checks failed:\n\(output)\nA: \(nodeA.logText)\nB: \(nodeB.logText)")
        #expect(output.contains("ok \(line)"))
    }

    @Test func usersOnTwoNodesTalkWatchAndSeeOneOrder() async throws {
        let shards = try (0..<3).map { _ in try ValkeyServer() }
        let (nodeA, nodeB) = try await Self.twoNodes([
            "STORE": "valkey", "VALKEY_HOSTS": shards.map(\.address).joined(separator: ","), "RATE_LIMIT": "100000",
        ])
        defer { nodeA.stop(); nodeB.stop() }
        let (status, output) = try await Self.runChecks("basic", nodeA, nodeB)
        #expect(status == 0, "cross-node checks failed:\n\(output)\nA: \(nodeA.logText)\nB: \(nodeB.logText)")
        for check in ["across nodes", "shared history", "dm across nodes", "chats show a DM peer on another node online",
                      "typing across nodes", "read across nodes",
                      "edit across nodes", "presence across nodes", "order across nodes"] {
            #expect(output.contains("ok \(check)"), "missing \(check):\n\(output)")
        }
        // Presence is recorded per user and node in sess:{U} (on the users' shard, 3).
        _ = shards
    }

    @Test func oneRateBudgetAcrossTwoNodes() async throws {
        let valkey = try ValkeyServer()
        let (nodeA, nodeB) = try await Self.twoNodes(["STORE": "valkey", "VALKEY_HOSTS": valkey.address, "RATE_LIMIT": "60"])
        defer { nodeA.stop(); nodeB.stop() }
        let (status, output) = try await Self.runChecks("rate", nodeA, nodeB)
        #expect(status == 0, "rate checks failed:\n\(output)")
        #expect(output.contains("ok one rate budget across nodes"))
    }

    /// A room whose history holds an id above what the nodes make (a node whose clock runs
    /// ahead): the store refuses sequenced sends below it, and the nodes send them again
    /// above it, so acks, live messages and history stay in one order.
    @Test func sendsGoAboveANewerStoredID() async throws {
        try await Self.checkOverOneServer("refusal", expecting: "sends above a newer stored id")
    }

    /// Valkey stalls (CLIENT PAUSE WRITE) under a room shared by two nodes: local delivery
    /// of a sequenced message goes on after the echo wait; its ack waits for the store.
    @Test func localDeliveryGoesOnWhileValkeyStalls() async throws {
        try await Self.checkOverOneServer("stall", expecting: "local delivery while Valkey stalls")
    }

    /// A presence change that reached Valkey without its event (lost while a subscriber link
    /// reconnected) reaches watchers on the other node by the periodic re-read.
    @Test func presenceIsReadAgainFromValkey() async throws {
        try await Self.checkOverOneServer("refresh", expecting: "presence refreshed from Valkey",
                                          environment: ["PRESENCE_REFRESH_SECONDS": "2"])
    }

    @Test func aKilledNodesUsersGoOfflineAndComeBack() async throws {
        let valkey = try ValkeyServer()
        let (nodeA, nodeB) = try await Self.twoNodes(["STORE": "valkey", "VALKEY_HOSTS": valkey.address])
        defer { nodeA.stop(); nodeB.stop() }
        let (status, output) = try await Self.runChecks("kill", nodeA, nodeB, extra: [String(nodeB.process.processIdentifier)])
        #expect(status == 0, "presence after SIGKILL failed:\n\(output)\nA: \(nodeA.logText)")
        #expect(output.contains("ok offline after node death"))
        #expect(output.contains("ok online again after reconnecting"))
        // Node B's heartbeat key expired; node A's is alive.
        #expect(try valkey.command("EXISTS", "node:2").contains(":0"))
        #expect(try valkey.command("EXISTS", "node:1").contains(":1"))
    }

    @Test func roomsAndDMsAcrossNodesOverAValkeyCluster() async throws {
        let cluster = try await ValkeyClusterServers()
        let (nodeA, nodeB) = try await Self.twoNodes([
            "STORE": "valkey", "VALKEY_MODE": "cluster", "VALKEY_HOSTS": cluster.hosts, "RATE_LIMIT": "100000",
        ])
        defer { nodeA.stop(); nodeB.stop() }
        let (status, output) = try await Self.runChecks("rooms", nodeA, nodeB)
        #expect(status == 0, "cluster cross-node checks failed:\n\(output)")
        for check in ["across nodes", "shared history", "dm across nodes"] {
            #expect(output.contains("ok \(check)"), "missing \(check):\n\(output)")
        }
    }
}
