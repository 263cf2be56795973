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
}
