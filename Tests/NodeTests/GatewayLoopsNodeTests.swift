import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// A node with `GATEWAY_LOOPS=2` and real Valkey shards: connections land on both loops,
/// the chat protocol and room traffic work across them, and operations see every loop.
@Suite(.serialized) struct GatewayLoopsNodeTests {
    @Test func chatProtocolChecksPassOnTwoLoops() async throws {
        let shards = try (0..<3).map { _ in try ValkeyServer() }
        let node = try ChatNodeProcess(environment: [
            "STORE": "valkey", "VALKEY_HOSTS": shards.map(\.address).joined(separator: ","), "GATEWAY_LOOPS": "2",
        ])
        defer { node.stop() }
        try await node.waitUntilHealthy()
        // `loops`: two sockets on two loops reach loop 0 in the order it got them, which can
        // differ from the order they were written by one hand-off (see the script's doc).
        let (status, output) = try await runProcess(
            PythonPeer.python, [PythonPeer.script("chat_protocol_check.py"), String(node.port), node.secret, "loops"])
        #expect(status == 0, "python checks failed:\n\(output)")
        for check in ChatProtocolEndToEndTests.checks { #expect(output.contains("ok \(check)\n"), "missing \(check):\n\(output)") }
    }

    @Test func roomTrafficInspectionAndDrainAcrossLoops() async throws {
        let shards = try (0..<3).map { _ in try ValkeyServer() }
        let node = try await ControlTestNode(environment: [
            "STORE": "valkey", "VALKEY_HOSTS": shards.map(\.address).joined(separator: ","), "GATEWAY_LOOPS": "2",
        ])
        let users = 16
        let peer = try PythonPeer(script: "loops_room_check.py", arguments: [String(node.port), node.secret, String(users)])
        #expect(try await peer.next()["event"] as? String == "ready")

        // `chatctl conns`: every connection, on both loops, with its user.
        let client = try node.client()
        let conns = try await client.request(["cmd": "conns", "limit": 100])
        let connections = (conns["connections"] as? [[String: Any]]) ?? []
        #expect(conns["total"] as? Int == users)
        #expect(Set(connections.compactMap { $0["user"] as? Int }) == Set(101...(100 + users)))
        let ids = connections.compactMap { $0["id"] as? String }
        #expect(ids.contains { $0.hasSuffix("@1") } && ids.contains { !$0.contains("@") }, "ids: \(ids)")
        // /metrics, answered on loop 0 whichever loop its connection landed on.
        let metrics = await HTTPTestClient.get(port: node.port, path: "/metrics")?.body ?? ""
        #expect(metrics.contains("chat_sessions \(users)\n"), "\(metrics.prefix(600))")
        // CPU of each loop thread.
        #expect(metrics.contains("chat_loop_cpu_seconds_total{loop=\"0\"} "), "\(metrics)")
        #expect(metrics.contains("chat_loop_cpu_seconds_total{loop=\"1\"} "), "\(metrics)")

        // Every message reaches the 15 others, wherever sender and receivers are.
        peer.send("traffic")
        let traffic = try await peer.next()
        #expect(traffic["acked"] as? Int == users)
        #expect(traffic["received"] as? [Int] == Array(repeating: users - 1, count: users))

        // Drain closes the connections of both loops with 1001.
        let drained = try await client.request(["cmd": "drain"])
        #expect(drained["closed"] as? Int == users)
        peer.send("expect_close")
        let closed = try await peer.next()
        #expect(closed["codes"] as? [Int] == Array(repeating: 1001, count: users))
        peer.send("quit")
        #expect(await node.stop() == 0)
    }
}
