import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// Log lines stay JSON objects naming events, types and ids, never message contents, while
/// operators and clients do everything the control socket offers.
@Suite struct ControlLogTests {
    @Test func logLinesAreJSONWithoutMessageContents() async throws {
        // A separate process: the log level is process-wide, and other suites start nodes.
        let node = try ChatNodeProcess(environment: ["STORE": "memory", "LOG_LEVEL": "debug", "CONTROL_TOKEN": "TOP-SECRET-TOKEN"])
        defer { node.stop() }
        let port = node.port
        try await eventually("node healthy") { await HTTPTestClient.get(port: port, path: "/health")?.status == 200 }
        let peer = try PythonPeer(script: "control_peer.py", arguments: [String(node.port), node.secret, "9"])
        #expect(try await peer.next()["event"] as? String == "joined")
        peer.send("send TOP-SECRET-ROOM-TEXT")
        _ = try await peer.next()
        let client = try RawControlClient(path: "/tmp/chat-node-test-\(node.port).sock")
        for request: [String: Any] in [
            ["cmd": "broadcast", "room": 9, "text": "TOP-SECRET-ADMIN-TEXT"], ["cmd": "broadcast", "text": "TOP-SECRET-ALL"],
            ["cmd": "kill", "path": "/node/rooms/9"], ["cmd": "level", "pin": "high"], ["cmd": "level", "unpin": true],
            ["cmd": "tree"], ["cmd": "stats"], ["cmd": "drain"],
        ] {
            var request = request
            request["token"] = "TOP-SECRET-TOKEN"
            #expect(try await client.request(request)["ok"] as? Bool == true)
        }
        #expect(try await client.request(["cmd": "tree", "token": "TOP-SECRET-WRONG"])["error"] as? String == "unauthorized")
        _ = try await client.roundTrip(#"{"cmd":"broadcast","text":"TOP-SECRET-GARBAGE""#)
        node.stop()
        let lines = node.logText.split(separator: "\n").map(String.init)
        for event in ["control.kill", "control.broadcast", "control.level_pinned", "room.rebuilt", "node.draining", "control.unauthorized"] {
            #expect(lines.contains { $0.contains("\"event\":\"\(event)\"") }, "no \(event) line in:\n\(node.logText)")
        }
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["event"] is String, "not a JSON log line: \(line)")
            #expect(object?["ts"] is Int)
            #expect(!line.contains("TOP-SECRET"), "message contents or a token in a log line: \(line)")
        }
    }

    /// At `info`, traffic adds no line per message: 30 sends, typing and invalid frames
    /// leave no event logged as often as there were messages, and no text.
    @Test func noPerMessageLinesAtInfo() async throws {
        let node = try ChatNodeProcess(environment: [
            "STORE": "memory", "LOG_LEVEL": "info", "RATE_LIMIT": "100000", "LOAD_SAMPLE_SECONDS": "3600",
        ])
        defer { node.stop() }
        try await node.waitUntilHealthy()
        let peer = try PythonPeer(script: "metrics_peer.py", arguments: [String(node.port), String(node.port), node.secret, "4,5,6"])
        #expect(try await peer.next()["event"] as? String == "joined")
        for index in 0..<10 {
            peer.send("send SECRET-TEXT-\(index)")
            #expect(try await peer.next()["acked"] as? Int == 3)
        }
        for _ in 0..<3 {
            peer.send("typing")
            _ = try await peer.next()
            peer.send("garbage")
            _ = try await peer.next()
        }
        peer.send("quit")
        node.stop()
        let lines = node.logText.split(separator: "\n").map(String.init)
        var perEvent: [String: Int] = [:]
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["event"] is String, "not a JSON log line: \(line)")
            if let event = object?["event"] as? String { perEvent[event, default: 0] += 1 }
            #expect(!line.contains("SECRET-TEXT"), "message contents in a log line: \(line)")
        }
        #expect(perEvent["gateway.listening"] == 1, "info lines are written: \(perEvent)")
        for (event, count) in perEvent {
            #expect(count < 10, "\(event) logged \(count) times for 30 messages: per-message logging at info")
        }
    }
}
