import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// `/metrics` read by the reference parser (Python `prometheus_client`), and `/health`.
@Suite struct ControlMetricsTests {
    /// The parsed exposition: family types and samples by `name{labels}`.
    static func scrape(_ port: Int) async throws -> (families: [String: String], samples: [String: Double], contentType: String) {
        let (status, output) = try await runProcess(PythonPeer.python, [PythonPeer.script("metrics_check.py"), String(port)])
        guard status == 0, let line = output.split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestSupportError.io("metrics_check.py failed:\n\(output)")
        }
        let samples = ((object["samples"] as? [String: Any]) ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        return ((object["families"] as? [String: String]) ?? [:], samples, (object["content_type"] as? String) ?? "")
    }

    @Test func metricsParseAndMoveWhenTrafficFlows() async throws {
        let node = try await ControlTestNode()
        let before = try await Self.scrape(node.port)
        #expect(before.contentType.hasPrefix("text/plain; version=0.0.4"))
        let expected: [String: String] = [
            "chat_connections": "gauge", "chat_sessions": "gauge", "chat_rooms_active": "gauge",
            "chat_messages_received": "counter", "chat_messages_delivered": "counter", "chat_messages_dropped": "counter",
            "chat_frames_sent": "counter", "chat_slow_consumers": "counter",
            "chat_valkey_commands": "counter", "chat_valkey_errors": "counter", "chat_valkey_refused": "counter",
            "chat_valkey_outbox_depth": "gauge", "chat_valkey_up": "gauge",
            "chat_supervisor_restarts": "counter", "chat_degradation_level": "gauge", "chat_actor_mailbox_depth": "gauge",
            "process_resident_memory_bytes": "gauge", "process_cpu_seconds": "counter",
        ]
        for (family, type) in expected {
            #expect(before.families[family] == type, "family \(family) (\(type)) missing: \(before.families.keys.sorted())")
        }
        #expect(before.samples["chat_connections{tier=all}"] != nil)
        #expect(before.samples["chat_degradation_level{}"] == 0)
        #expect((before.samples["process_resident_memory_bytes{}"] ?? 0) > 1_000_000)
        #expect(before.samples.keys.contains { $0.hasPrefix("chat_actor_mailbox_depth{path=/node") })

        // Traffic: two users, one room, five messages; a room killed; a pinned level.
        let peer = try PythonPeer(script: "control_peer.py", arguments: [String(node.port), node.secret, "5"])
        #expect(try await peer.next()["event"] as? String == "joined")
        for index in 0..<5 {
            peer.send("send m\(index)")
            _ = try await peer.next()
        }
        let client = try node.client()
        #expect(try await client.request(["cmd": "kill", "path": "/node/rooms/5"])["ok"] as? Bool == true)
        #expect(try await client.request(["cmd": "level", "pin": "high"])["ok"] as? Bool == true)
        try await eventually("room 5 back") { node.node.registry.status(of: .node.appending("rooms").appending("5")) == .running }

        let after = try await Self.scrape(node.port)
        func moved(_ sample: String, by atLeast: Double) {
            let from = before.samples[sample] ?? 0, to = after.samples[sample] ?? 0
            #expect(to - from >= atLeast, "\(sample): \(from) -> \(to)")
        }
        moved("chat_messages_received_total{}", by: 7)  // 2 joins, 5 sends
        moved("chat_messages_delivered_total{}", by: 5)
        moved("chat_frames_sent_total{}", by: 10)
        moved("chat_connections_accepted_total{}", by: 2)
        moved("chat_received_bytes_total{}", by: 100)
        #expect(after.samples["chat_sessions{}"] == 2)
        // Both sessions by tier: they add up to the sessions.
        let byTier = ["premium", "active", "lurker", "idle"].map { after.samples["chat_connections{tier=\($0)}"] ?? -1 }
        #expect(byTier.allSatisfy { $0 >= 0 } && byTier.reduce(0, +) == 2)
        #expect(after.samples["chat_rooms_active{}"] == 1)
        #expect((after.samples["chat_connections{tier=all}"] ?? 0) >= 2)
        #expect(after.samples["chat_supervisor_restarts_total{supervisor=/node/rooms}"] == 1)
        #expect(after.samples["chat_degradation_level{}"] == 2)
        #expect(after.samples["chat_degradation_pinned{}"] == 1)
        #expect((after.samples["process_cpu_seconds_total{}"] ?? 0) >= (before.samples["process_cpu_seconds_total{}"] ?? 0))
        peer.send("quit")
        await node.stop()
    }

    @Test func healthIsJSONWithStatusConnectionsMemoryCPULevelAndShards() async throws {
        let node = try await ControlTestNode()
        let health = try #require(await HTTPTestClient.get(port: node.port, path: "/health"))
        #expect(health.status == 200)
        let body = try RawControlClient.object(health.body)
        #expect(body["status"] as? String == "ok")
        #expect(body["connections"] as? Int == 1, "this request's own connection")
        #expect((body["memory_bytes"] as? Int ?? 0) > 1_000_000)
        #expect(body["cpu_percent"] != nil)
        #expect(body["level"] as? String == "normal")
        #expect(body["shards_up"] as? Int == 0)
        #expect(body["shards_down"] as? Int == 0)
        #expect(body["draining"] as? Bool == false)
        _ = await node.node.drain()
        let draining = try #require(await HTTPTestClient.get(port: node.port, path: "/health"))
        #expect(draining.status == 503)
        #expect(try RawControlClient.object(draining.body)["status"] as? String == "draining")
        await node.stop()
    }

    @Test func valkeyShardHealthInStatsMetricsAndHealth() async throws {
        let valkey = try ValkeyServer()
        let node = try await ControlTestNode(environment: ["STORE": "valkey", "VALKEY_HOSTS": valkey.address])
        try await eventually("shard connected") {
            let shards = try await node.client().request(["cmd": "stats"])["shards"] as? [[String: Any]]
            return shards?.first?["connected"] as? Bool == true
        }
        let stats = try await node.client().request(["cmd": "stats"])
        let shard = try #require((stats["shards"] as? [[String: Any]])?.first)
        #expect(shard["name"] as? String == "shard-1")
        #expect(shard["address"] as? String == valkey.address)
        #expect(shard["outbox"] as? Int == 0)
        var metrics = try await Self.scrape(node.port)
        #expect(metrics.samples["chat_valkey_up{shard=shard-1}"] == 1)
        #expect(metrics.samples["chat_valkey_outbox_depth{shard=shard-1}"] == 0)
        #expect(metrics.samples["chat_valkey_commands_total{shard=shard-1}"] != nil)
        #expect(metrics.samples["chat_valkey_errors_total{shard=shard-1}"] == 0)
        #expect(metrics.samples["chat_valkey_refused_total{shard=shard-1}"] == 0)
        var health = try RawControlClient.object(try #require(await HTTPTestClient.get(port: node.port, path: "/health")).body)
        #expect(health["shards_up"] as? Int == 1 && health["shards_down"] as? Int == 0)

        valkey.kill()
        try await eventually("health 503") { await HTTPTestClient.get(port: node.port, path: "/health")?.status == 503 }
        health = try RawControlClient.object(try #require(await HTTPTestClient.get(port: node.port, path: "/health")).body)
        #expect(health["status"] as? String == "no_storage")
        #expect(health["shards_up"] as? Int == 0 && health["shards_down"] as? Int == 1)
        metrics = try await Self.scrape(node.port)
        #expect(metrics.samples["chat_valkey_up{shard=shard-1}"] == 0)
        #expect((metrics.samples["chat_valkey_disconnects_total{shard=shard-1}"] ?? 0) >= 1)
        // The link's supervisor restarts it (after its backoff) while Valkey is away.
        try await eventually("link restarts counted") {
            (try await Self.scrape(node.port).samples["chat_supervisor_restarts_total{supervisor=/node/shards/shard-1}"] ?? 0) >= 1
        }
        await node.stop()
    }
}
