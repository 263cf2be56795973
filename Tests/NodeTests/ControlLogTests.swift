import Actors
import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// Log lines stay JSON objects naming events, types and ids, never message contents, while
/// operators and clients do everything the control socket offers.
@Suite struct ControlLogTests {
    @Test func logLinesAreJSONWithoutMessageContents() async throws {
        let lines = CapturedLines()
        Log.capture { lines.append($0) }
        defer { Log.capture(nil) }
        let node = try await ControlTestNode(environment: ["LOG_LEVEL": "debug", "CONTROL_TOKEN": "TOP-SECRET-TOKEN"])
        defer { Log.currentLevel = .error }
        let peer = try PythonPeer(script: "control_peer.py", arguments: [String(node.port), node.secret, "9"])
        #expect(try await peer.next()["event"] as? String == "joined")
        peer.send("send TOP-SECRET-ROOM-TEXT")
        _ = try await peer.next()
        let client = try node.client()
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
        await node.stop()
        let captured = lines.all
        #expect(captured.contains { $0.contains("\"event\":\"control.kill\"") })
        #expect(captured.contains { $0.contains("\"event\":\"room.rebuilt\"") })
        for line in captured {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["event"] is String, "not a JSON log line: \(line)")
            #expect(object?["ts"] is Int)
            #expect(!line.contains("TOP-SECRET"), "message contents in a log line: \(line)")
        }
    }
}

/// Lines written by `Log` (from any thread).
private final class CapturedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) {
        lock.lock()
        lines += line.split(separator: "\n").map(String.init)
        lock.unlock()
    }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
