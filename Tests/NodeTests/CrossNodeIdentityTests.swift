import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// NODE_ID claimed from Valkey and held by a heartbeat key `node:<N>`: distinct ids for
/// nodes started without one, a dead node's id free again once its key expires, a
/// configured id of a live node refused (exit 2), the key gone on a clean stop.
@Suite(.timeLimit(.minutes(3))) struct CrossNodeIdentityTests {
    /// The `node_id` of a node's `/health`.
    static func nodeID(_ node: ChatNodeProcess) async throws -> Int {
        let text = await httpGet(port: node.port, path: "/health").text
        guard let start = text.range(of: "\r\n\r\n")?.upperBound,
              let object = try JSONSerialization.jsonObject(with: Data(text[start...].utf8)) as? [String: Any],
              let id = object["node_id"] as? Int else { throw TestSupportError.io("no node_id in /health: \(text)") }
        return id
    }

    @Test func nodesWithoutNodeIDClaimDistinctIDsAndADeadNodesIDComesBack() async throws {
        let valkey = try ValkeyServer()
        let environment = ["STORE": "valkey", "VALKEY_HOSTS": valkey.address]
        let first = try ChatNodeProcess(environment: environment)
        defer { first.stop() }
        try await first.waitUntilHealthy()
        let second = try ChatNodeProcess(environment: environment)
        defer { second.stop() }
        try await second.waitUntilHealthy()
        #expect(try await Self.nodeID(first) == 0)
        #expect(try await Self.nodeID(second) == 1)
        let ttl = try valkey.command("PTTL", "node:1")
        #expect((Int(ttl.filter(\.isNumber)) ?? 0) > 0 && !ttl.contains("-"), "the key has a TTL: \(ttl)")

        kill(first.process.processIdentifier, SIGKILL)
        // Still held until its key expires: a third node takes the next free id.
        let third = try ChatNodeProcess(environment: environment)
        defer { third.stop() }
        try await third.waitUntilHealthy()
        #expect(try await Self.nodeID(third) == 2)
        try await eventually("node:0 expired", timeout: .seconds(20), poll: .milliseconds(200)) {
            try valkey.command("EXISTS", "node:0").contains(":0")
        }
        let fourth = try ChatNodeProcess(environment: environment)
        defer { fourth.stop() }
        try await fourth.waitUntilHealthy()
        #expect(try await Self.nodeID(fourth) == 0, "the dead node's id is claimable again")
    }

    @Test func aConfiguredIDOfALiveNodeIsRefusedAndACrashedOnesIsTaken() async throws {
        let valkey = try ValkeyServer()
        let environment = ["STORE": "valkey", "VALKEY_HOSTS": valkey.address, "NODE_ID": "5"]
        let live = try ChatNodeProcess(environment: environment)
        defer { live.stop() }
        try await live.waitUntilHealthy()
        #expect(try await Self.nodeID(live) == 5)

        let duplicate = try ChatNodeProcess(environment: environment)
        defer { duplicate.stop() }
        let process = duplicate.process
        try await eventually("the duplicate exits", timeout: .seconds(20), poll: .milliseconds(100)) { !process.isRunning }
        #expect(process.terminationStatus == 2)
        #expect(duplicate.logText.contains("NODE_ID 5 is held by another live node"), "\(duplicate.logText)")
        #expect(try await Self.nodeID(live) == 5, "the live node is untouched")

        // A node that crashed: its successor with the same NODE_ID starts once the key expires.
        kill(live.process.processIdentifier, SIGKILL)
        let successor = try ChatNodeProcess(environment: environment)
        defer { successor.stop() }
        try await eventually("successor healthy", timeout: .seconds(25), poll: .milliseconds(200)) {
            await httpStatus(port: successor.port, path: "/health") == 200
        }
        #expect(try await Self.nodeID(successor) == 5)
    }

    @Test func theHeartbeatKeyGoesOnACleanStop() async throws {
        let valkey = try ValkeyServer()
        let node = try await ControlTestNode(environment: ["STORE": "valkey", "VALKEY_HOSTS": valkey.address])
        #expect(node.node.identity?.current.load(ordering: .relaxed) == 0)
        #expect(try valkey.command("EXISTS", "node:0").contains(":1"))
        await node.stop()
        #expect(try valkey.command("EXISTS", "node:0").contains(":0"), "the key outlived a clean stop")
    }
}
