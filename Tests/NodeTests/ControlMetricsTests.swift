import Actors
import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// `/metrics` read by the reference parser (Python `prometheus_client`), and `/health`.
@Suite struct ControlMetricsTests {
    /// The parsed exposition: family types and samples by `name{labels}`. Every histogram
    /// must pass the script's own checks (cumulative buckets, +Inf equal to _count).
    static func scrape(_ port: Int) async throws -> (families: [String: String], samples: [String: Double], contentType: String) {
        let (status, output) = try await runProcess(PythonPeer.python, [PythonPeer.script("metrics_check.py"), String(port)])
        guard status == 0, let line = output.split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestSupportError.io("metrics_check.py failed:\n\(output)")
        }
        let problems = (object["histogram_problems"] as? [String]) ?? ["no histogram_problems in the reply"]
        #expect(problems.isEmpty, "histograms: \(problems)")
        let samples = ((object["samples"] as? [String: Any]) ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        return ((object["families"] as? [String: String]) ?? [:], samples, (object["content_type"] as? String) ?? "")
    }

    @Test func metricsParseAndMoveWhenTrafficFlows() async throws {
        let node = try await ControlTestNode(environment: ["LOAD_SAMPLE_SECONDS": "3600"])
        let before = try await Self.scrape(node.port)
        #expect(before.contentType.hasPrefix("text/plain; version=0.0.4"))
        let expected: [String: String] = [
            "chat_connections": "gauge", "chat_sessions": "gauge", "chat_rooms_active": "gauge",
            "chat_messages_received": "counter", "chat_messages_delivered": "counter", "chat_messages_dropped": "counter",
            "chat_messages_rate_limited": "counter", "chat_frames_sent": "counter", "chat_slow_consumers": "counter",
            "chat_valkey_commands": "counter", "chat_valkey_errors": "counter", "chat_valkey_refused": "counter",
            "chat_valkey_outbox_depth": "gauge", "chat_valkey_up": "gauge", "chat_valkey_pipeline_batch_commands": "histogram",
            "chat_store_ack_seconds": "histogram", "chat_fanout_seconds": "histogram",
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
        // Labels: every priority class; drops by reason and priority; the latency buckets.
        for priority in ["critical", "high", "normal", "low"] {
            #expect(before.samples["chat_messages_received_total{priority=\(priority)}"] == 0)
            #expect(before.samples["chat_messages_delivered_total{priority=\(priority)}"] == 0)
        }
        #expect(before.samples["chat_messages_received_total{priority=none}"] == 0)
        for (priority, reason) in [("low", "budget"), ("low", "level"), ("low", "idle"), ("normal", "slow_consumer"),
                                   ("high", "slow_consumer"), ("critical", "slow_consumer")] {
            #expect(before.samples["chat_messages_dropped_total{priority=\(priority),reason=\(reason)}"] == 0)
        }
        for bound in ["5e-05", "0.001", "0.25", "5", "+Inf"] {
            #expect(before.samples["chat_store_ack_seconds_bucket{le=\(bound)}"] == 0, "store-ack bucket le=\(bound)")
            #expect(before.samples["chat_fanout_seconds_bucket{le=\(bound),origin=local}"] == 0)
            #expect(before.samples["chat_fanout_seconds_bucket{le=\(bound),origin=remote}"] == 0)
        }

        // Traffic: two users, one room, five messages, a DM, a typing event, one invalid frame;
        // a room killed; a pinned level that sheds LOW events, then typing again.
        let peer = try PythonPeer(script: "metrics_peer.py", arguments: [String(node.port), String(node.port), node.secret, "5"])
        #expect(try await peer.next()["event"] as? String == "joined")
        for index in 0..<5 {
            peer.send("send m\(index)")
            #expect(try await peer.next()["acked"] as? Int == 1)
        }
        peer.send("dm d1")
        let dm = try await peer.next()
        #expect(dm["acked"] as? Bool == true && dm["received"] as? Bool == true)
        peer.send("typing")
        #expect(try await peer.next()["received"] as? Bool == true, "typing reaches B at level normal")
        peer.send("garbage")
        #expect(try await peer.next()["error"] as? Bool == true)
        let client = try node.client()
        #expect(try await client.request(["cmd": "kill", "path": "/node/rooms/5"])["ok"] as? Bool == true)
        #expect(try await client.request(["cmd": "level", "pin": "high"])["ok"] as? Bool == true)
        try await eventually("room 5 back") { node.node.registry.status(of: .node.appending("rooms").appending("5")) == .running }
        let chat = node.node.chat
        try await eventually("level high on the loop") {
            await withCheckedContinuation { done in chat.loop.execute { done.resume(returning: chat.level == .high) } }
        }
        peer.send("typing")
        #expect(try await peer.next()["received"] as? Bool == false, "typing is shed at level high")

        let after = try await Self.scrape(node.port)
        func moved(_ sample: String, by atLeast: Double) {
            let from = before.samples[sample] ?? 0, to = after.samples[sample] ?? 0
            #expect(to - from >= atLeast, "\(sample): \(from) -> \(to)")
        }
        func movedExactly(_ sample: String, by delta: Double) {
            let from = before.samples[sample] ?? 0, to = after.samples[sample] ?? 0
            #expect(to - from == delta, "\(sample): \(from) -> \(to), expected +\(delta)")
        }
        movedExactly("chat_messages_received_total{priority=high}", by: 5)    // sends
        movedExactly("chat_messages_received_total{priority=normal}", by: 2)  // joins
        movedExactly("chat_messages_received_total{priority=low}", by: 2)     // typing
        movedExactly("chat_messages_received_total{priority=critical}", by: 1)  // the DM
        movedExactly("chat_messages_received_total{priority=none}", by: 1)    // the invalid frame
        movedExactly("chat_messages_delivered_total{priority=high}", by: 5)
        movedExactly("chat_messages_delivered_total{priority=low}", by: 1)    // the first typing only
        movedExactly("chat_messages_delivered_total{priority=critical}", by: 1)  // the DM to B
        movedExactly("chat_messages_dropped_total{priority=low,reason=level}", by: 1)
        movedExactly("chat_store_ack_seconds_count{}", by: 6)  // five sends and the DM
        movedExactly("chat_store_ack_seconds_bucket{le=+Inf}", by: 6)
        movedExactly("chat_fanout_seconds_count{origin=local}", by: 5)  // room messages only
        movedExactly("chat_fanout_seconds_count{origin=remote}", by: 0)
        moved("chat_store_ack_seconds_sum{}", by: 1e-7)
        moved("chat_frames_sent_total{}", by: 10)
        moved("chat_connections_accepted_total{}", by: 2)
        moved("chat_received_bytes_total{}", by: 100)
        // Buckets are cumulative: never decreasing with the bound.
        let bounds = Histogram.latencyBoundsNanoseconds.map { PrometheusText.number(Double($0) / 1e9) } + ["+Inf"]
        let buckets = bounds.map { after.samples["chat_store_ack_seconds_bucket{le=\($0)}"] ?? -1 }
        #expect(buckets.allSatisfy { $0 >= 0 } && zip(buckets, buckets.dropFirst()).allSatisfy { $0 <= $1 }, "\(buckets)")
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

    /// Against three real Valkey shards: every acked send is one store-to-ack observation,
    /// and each shard's pipeline batch histogram counts its flushes.
    @Test func storeToAckAndBatchSizesAgainstValkeyShards() async throws {
        let shards = try (0..<3).map { _ in try ValkeyServer() }
        let node = try await ControlTestNode(environment: [
            "STORE": "valkey", "VALKEY_HOSTS": shards.map(\.address).joined(separator: ","), "LOAD_SAMPLE_SECONDS": "3600",
        ])
        let names = ["shard-1", "shard-2", "shard-3"]
        try await eventually("shards connected") {
            let metrics = try await Self.scrape(node.port)
            return names.allSatisfy { metrics.samples["chat_valkey_up{shard=\($0)}"] == 1 }
        }
        let before = try await Self.scrape(node.port)
        for name in names {
            #expect(before.samples["chat_valkey_pipeline_batch_commands_bucket{le=1,shard=\(name)}"] != nil)
            #expect(before.samples["chat_valkey_pipeline_batch_commands_bucket{le=1024,shard=\(name)}"] != nil)
            #expect(before.samples["chat_valkey_pipeline_batch_commands_bucket{le=+Inf,shard=\(name)}"] != nil)
        }
        // Nine rooms: 0-999 live on shard-1, 1000-1999 on shard-2, the rest hashed over
        // both; shard-3 keeps users (the joins write there). Four sends to each room.
        let rooms = [1, 2, 3, 1001, 1002, 1003, 2001, 2002, 2003].map(String.init).joined(separator: ",")
        let peer = try PythonPeer(script: "metrics_peer.py", arguments: [String(node.port), String(node.port), node.secret, rooms])
        #expect(try await peer.next()["event"] as? String == "joined")
        var acked = 0
        for index in 0..<4 {
            peer.send("send v\(index)")
            let reply = try await peer.next()
            acked += reply["acked"] as? Int ?? 0
            #expect(reply["received"] as? Int == 9)
        }
        #expect(acked == 36)
        let after = try await Self.scrape(node.port)
        func delta(_ sample: String) -> Double { (after.samples[sample] ?? 0) - (before.samples[sample] ?? 0) }
        #expect(delta("chat_store_ack_seconds_count{}") == Double(acked), "one observation per acked send")
        #expect(delta("chat_fanout_seconds_count{origin=local}") == Double(acked))
        for name in names {
            let flushes = delta("chat_valkey_pipeline_batch_commands_count{shard=\(name)}")
            let commands = delta("chat_valkey_pipeline_batch_commands_sum{shard=\(name)}")
            #expect(flushes >= 1, "\(name) flushed; commands \(delta("chat_valkey_commands_total{shard=\(name)}"))")
            #expect(commands >= flushes, "\(name): at least one command per flush")
            #expect(commands <= delta("chat_valkey_commands_total{shard=\(name)}"), "\(name): no more written than accepted")
        }
        // `stats` shows the same histograms, summarised.
        let stats = try await node.client().request(["cmd": "stats"])
        let latency = try #require(stats["latency"] as? [String: Any])
        let storeAck = try #require(latency["store_ack"] as? [String: Any])
        #expect(storeAck["count"] as? Int == Int(after.samples["chat_store_ack_seconds_count{}"] ?? -1))
        #expect((storeAck["p99_ms"] as? Double ?? -1) >= (storeAck["p50_ms"] as? Double ?? 0))
        #expect((latency["fanout_remote"] as? [String: Any])?["count"] as? Int == 0)
        for shard in try #require(stats["shards"] as? [[String: Any]]) {
            #expect((shard["flushes"] as? Int ?? 0) >= 1, "\(shard)")
            #expect((shard["batch_mean"] as? Double ?? 0) >= 1, "\(shard)")
        }
        peer.send("quit")
        await node.stop()
        shards.forEach { $0.kill() }
    }

    /// A message from another node counts on the receiving node's `origin="remote"` fan-out.
    @Test func fanOutOfMessagesFromAnotherNode() async throws {
        let valkey = try ValkeyServer()
        let settings = ["STORE": "valkey", "VALKEY_HOSTS": valkey.address, "LOAD_SAMPLE_SECONDS": "3600"]
        let first = try await ControlTestNode(environment: settings.merging(["NODE_ID": "1"]) { $1 })
        let second = try await ControlTestNode(environment: settings.merging(["NODE_ID": "2"]) { $1 })
        let before = try await Self.scrape(second.port)
        let peer = try PythonPeer(script: "metrics_peer.py", arguments: [String(first.port), String(second.port), first.secret, "77"])
        #expect(try await peer.next()["event"] as? String == "joined")
        // The second node subscribes the room's channel when B joins: the first sends may
        // be published before that subscription is in place.
        var received = 0
        for index in 0..<10 where received == 0 {
            peer.send("send x\(index)")
            received = try await peer.next()["received"] as? Int ?? 0
        }
        #expect(received == 1)
        let after = try await Self.scrape(second.port)
        let remote = (after.samples["chat_fanout_seconds_count{origin=remote}"] ?? 0)
            - (before.samples["chat_fanout_seconds_count{origin=remote}"] ?? 0)
        #expect(remote >= 1)
        #expect(after.samples["chat_fanout_seconds_count{origin=local}"] == before.samples["chat_fanout_seconds_count{origin=local}"],
                "nothing was sent on the second node")
        peer.send("quit")
        await first.stop()
        await second.stop()
        valkey.kill()
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
