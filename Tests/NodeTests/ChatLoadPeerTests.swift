import Foundation
import Testing

/// chat-load against the node-ws peer of bench/peers: every message accounted for.
/// Consistency checks only, no timing thresholds (the machine is shared).
@Suite(.serialized, .enabled(if: NodeWSPeer.isAvailable, NodeWSPeer.skipReason))
struct ChatLoadPeerTests {
    /// Checks that every send was acknowledged and every expected delivery arrived.
    /// `extra` is 0 unless connections join while others send (ramp): a member whose join
    /// was in flight may get a message it was not counted for.
    private func expectComplete(
        _ json: [String: Any]?, connections: Int, joinsWhileSending: Bool = false, sourceLine: SourceLocation = #_sourceLocation
    ) {
        #expect(jsonValue(json, "ending") as? String == "completed", sourceLocation: sourceLine)
        #expect(jsonInt(json, "connections", "opened") == connections, sourceLocation: sourceLine)
        #expect(jsonInt(json, "connections", "failed") == 0, sourceLocation: sourceLine)
        #expect(jsonInt(json, "connections", "joined") == connections, sourceLocation: sourceLine)
        let sent = jsonInt(json, "messages", "sent") ?? -1
        #expect(sent > 0, sourceLocation: sourceLine)
        #expect(jsonInt(json, "messages", "acked") == sent, sourceLocation: sourceLine)
        let expected = jsonInt(json, "messages", "expected") ?? -1
        #expect(expected > 0, sourceLocation: sourceLine)
        #expect(jsonInt(json, "messages", "delivered") == expected, sourceLocation: sourceLine)
        #expect(jsonInt(json, "messages", "loss") == 0, sourceLocation: sourceLine)
        if !joinsWhileSending { #expect(jsonInt(json, "messages", "extra") == 0, sourceLocation: sourceLine) }
        for kind in ["end_to_end", "ack"] {
            let p50 = jsonDouble(json, "latency_ms", kind, "p50") ?? -1
            let p95 = jsonDouble(json, "latency_ms", kind, "p95") ?? -1
            let p99 = jsonDouble(json, "latency_ms", kind, "p99") ?? -1
            let max = jsonDouble(json, "latency_ms", kind, "max") ?? -1
            #expect(p50 > 0 && p50 <= p95 && p95 <= p99 && p99 <= max, "\(kind): \(p50) \(p95) \(p99) \(max)", sourceLocation: sourceLine)
        }
        #expect(jsonInt(json, "latency_ms", "end_to_end", "count") == expected, sourceLocation: sourceLine)
    }

    @Test func chatDeliversEveryMessageOfFiftyConnectionsInFiveRooms() throws {
        let peer = try NodeWSPeer.start()
        defer { peer.stop() }
        let output = try ChatLoadBinary.run([
            "chat", "--url", peer.url, "--connections", "50", "--rooms", "5", "--rate", "200", "--duration", "3",
            "--pid", String(peer.pid), "--json", "--quiet",
        ])
        #expect(output.status == 0, "\(output.stderr)")
        let json = try #require(output.json, "not JSON: \(output.stdout)")
        expectComplete(json, connections: 50)
        // 200 msg/s for 3 s, each to the 9 other members of its room.
        let sent = try #require(jsonInt(json, "messages", "sent"))
        #expect(sent >= 500 && sent <= 700)
        #expect(jsonInt(json, "messages", "expected") == sent * 9)
        // The node's CPU and RSS came from /proc.
        #expect(jsonValue(json, "node", "source") as? String == "proc")
        #expect((jsonInt(json, "node", "rss_end") ?? 0) > 1_000_000)
        #expect(jsonDouble(json, "node", "cpu_pct") != nil)
    }

    @Test func textSummaryAndProgressLine() throws {
        let peer = try NodeWSPeer.start()
        defer { peer.stop() }
        let output = try ChatLoadBinary.run([
            "chat", "--url", peer.url, "--connections", "20", "--rooms", "2", "--rate", "100", "--duration", "2.5",
        ])
        #expect(output.status == 0, "\(output.stderr)")
        for label in ["connections  target 20  opened 20  failed 0", "messages     sent", "deliveries   delivered",
                      "loss 0 (0.000 %)", "latency ms   end to end p50", "ack        p50", "node ", "generator    cpu"] {
            #expect(output.stdout.contains(label), "missing \(label) in\n\(output.stdout)")
        }
        // Once a second on stderr (not a terminal here: one line each).
        #expect(output.stderr.contains("[   1s] sending | conn 20/20"), "\(output.stderr)")
        #expect(output.stderr.contains("| p99 "))
    }

    @Test func burstFanoutAndTwoThreads() throws {
        let peer = try NodeWSPeer.start()
        defer { peer.stop() }
        let burst = try ChatLoadBinary.run([
            "burst", "--url", peer.url, "--connections", "100", "--rooms", "10", "--bursts", "3", "--gap", "0.5", "--json", "--quiet",
        ])
        let burstJSON = try #require(burst.json, "\(burst.stdout)\(burst.stderr)")
        expectComplete(burstJSON, connections: 100)
        #expect(jsonInt(burstJSON, "messages", "sent") == 300)
        #expect(jsonInt(burstJSON, "messages", "expected") == 300 * 9)

        let fanout = try ChatLoadBinary.run([
            "fanout", "--url", peer.url, "--connections", "200", "--rate", "20", "--duration", "2", "--json", "--quiet",
        ])
        let fanoutJSON = try #require(fanout.json, "\(fanout.stdout)\(fanout.stderr)")
        expectComplete(fanoutJSON, connections: 200)
        let sent = try #require(jsonInt(fanoutJSON, "messages", "sent"))
        #expect(jsonInt(fanoutJSON, "messages", "expected") == sent * 199)

        let threads = try ChatLoadBinary.run([
            "chat", "--url", peer.url, "--connections", "60", "--rooms", "6", "--rate", "150", "--duration", "2",
            "--threads", "2", "--json", "--quiet",
        ])
        let threadsJSON = try #require(threads.json, "\(threads.stdout)\(threads.stderr)")
        expectComplete(threadsJSON, connections: 60)
        #expect(jsonInt(threadsJSON, "threads") == 2)
    }

    @Test func rampOpensConnectionsWhileSending() throws {
        let peer = try NodeWSPeer.start()
        defer { peer.stop() }
        let output = try ChatLoadBinary.run([
            "ramp", "--url", peer.url, "--start", "10", "--connections", "40", "--ramp", "2", "--duration", "1",
            "--rooms", "4", "--interval", "0.2-0.4", "--json", "--quiet",
        ])
        let json = try #require(output.json, "\(output.stdout)\(output.stderr)")
        expectComplete(json, connections: 40, joinsWhileSending: true)
        #expect((jsonDouble(json, "sending_s") ?? 0) >= 3)
    }
}
