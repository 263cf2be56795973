import Actors
import Foundation
import Rooms
import Testing
import TestSupport
@testable import NodeKit

/// Every control command against a running node, with real WebSocket clients (the Python
/// `websockets` package, Tests/NodeTests/python/control_peer.py) in a room.
@Suite struct ControlCommandsTests {
    @Test func treeListsTheSupervisionTreeWithStatusesRestartsAndMailboxes() async throws {
        let node = try await ControlTestNode()
        let reply = try await node.client().request(["cmd": "tree"])
        #expect(reply["ok"] as? Bool == true)
        let tree = try #require(reply["tree"] as? [String: Any])
        #expect(tree["path"] as? String == "/node")
        #expect(tree["kind"] as? String == "supervisor")
        let children = (tree["children"] as? [[String: Any]]) ?? []
        #expect(children.compactMap { $0["path"] as? String } == ["/node/load-monitor", "/node/shards", "/node/rooms", "/node/gateway", "/node/control"])
        for child in children {
            #expect(child["status"] as? String == "running")
            #expect(child["restarts"] as? Int == 0)
            #expect(child["mailbox"] is Int)
            #expect(child["summary"] is String)
            #expect(child["uptimeMs"] is Int)
        }
        await node.stop()
    }

    @Test func killedRoomComesBackWorkingWithItsRestartCountUp() async throws {
        let node = try await ControlTestNode()
        let peer = try PythonPeer(script: "control_peer.py", arguments: [String(node.port), node.secret, "42"])
        #expect(try await peer.next()["event"] as? String == "joined")
        let client = try node.client()
        try await node.waitForRoom(42)

        var inspect = try await client.request(["cmd": "inspect", "path": "/node/rooms/42"])
        #expect(inspect["ok"] as? Bool == true)
        var actor = try #require(inspect["actor"] as? [String: Any])
        #expect(actor["status"] as? String == "running")
        #expect(actor["restarts"] as? Int == 0)
        let details = (actor["details"] as? [String: String]) ?? [:]
        #expect(details["subscribers"] == "2")
        let room = try #require(inspect["room"] as? [String: Any])
        #expect(room["subscribers"] as? Int == 2)
        #expect(room["users"] as? Int == 2)
        #expect(room["hot"] as? Bool == false)

        peer.send("send before the kill")
        var sent = try await peer.next()
        #expect(sent["acked"] as? Bool == true && sent["received"] as? Bool == true)

        let kill = try await client.request(["cmd": "kill", "path": "/node/rooms/42"])
        #expect(kill["ok"] as? Bool == true)
        #expect(kill["path"] as? String == "/node/rooms/42")
        try await eventually("room 42 restarted") {
            let reply = try await client.request(["cmd": "inspect", "path": "/node/rooms/42"])
            let actor = reply["actor"] as? [String: Any]
            return actor?["status"] as? String == "running" && (actor?["restarts"] as? Int ?? 0) >= 1
        }
        peer.send("send after the kill")
        sent = try await peer.next()
        #expect(sent["acked"] as? Bool == true, "the room acks again after its restart")
        #expect(sent["received"] as? Bool == true, "the room delivers again after its restart")

        inspect = try await client.request(["cmd": "inspect", "path": "/node/rooms/42"])
        actor = try #require(inspect["actor"] as? [String: Any])
        #expect(actor["restarts"] as? Int == 1)
        #expect((actor["lastFailure"] as? [String: Any])?["reason"] != nil)
        #expect((inspect["room"] as? [String: Any])?["subscribers"] as? Int == 2, "the rebuilt room kept its subscribers")
        #expect((inspect["room"] as? [String: Any])?["messages_per_min"] as? Int == 1, "a fresh incarnation counts anew")

        // restart: a clean stop and start, the room works afterwards too.
        let restart = try await client.request(["cmd": "restart", "path": "/node/rooms/42"])
        #expect(restart["ok"] as? Bool == true)
        try await eventually("room 42 running again") { node.node.registry.status(of: .node.appending("rooms").appending("42")) == .running }
        peer.send("send after the restart")
        sent = try await peer.next()
        #expect(sent["acked"] as? Bool == true && sent["received"] as? Bool == true)
        peer.send("quit")
        await node.stop()
    }

    @Test func roomsConnsBroadcastAndStats() async throws {
        let node = try await ControlTestNode()
        let peer = try PythonPeer(script: "control_peer.py", arguments: [String(node.port), node.secret, "7"])
        #expect(try await peer.next()["event"] as? String == "joined")
        let client = try node.client()
        for index in 0..<3 {
            peer.send("send message \(index)")
            _ = try await peer.next()
        }

        let rooms = try await client.request(["cmd": "rooms", "by": "rate", "limit": 5])
        #expect(rooms["ok"] as? Bool == true)
        #expect(rooms["total"] as? Int == 1)
        #expect(rooms["by"] as? String == "rate")
        let first = try #require((rooms["rooms"] as? [[String: Any]])?.first)
        #expect(first["id"] as? Int == 7)
        #expect(first["subscribers"] as? Int == 2)
        #expect(first["messages_per_min"] as? Int == 3)

        let conns = try await client.request(["cmd": "conns", "limit": 10])
        #expect(conns["ok"] as? Bool == true)
        let connections = (conns["connections"] as? [[String: Any]]) ?? []
        #expect(Set(connections.compactMap { $0["user"] as? Int }) == [11, 12])
        for connection in connections {
            #expect(connection["state"] as? String == "websocket")
            #expect(connection["pending_bytes"] is Int)
            // The budget of the connection's tier (active after sending, lurker otherwise).
            #expect([ConnectionTier.active.budget, ConnectionTier.lurker.budget].contains(connection["budget"] as? Int ?? 0))
        }

        let toRoom = try await client.request(["cmd": "broadcast", "room": 7, "text": "maintenance at noon"])
        #expect(toRoom["ok"] as? Bool == true)
        #expect(toRoom["recipients"] as? Int == 2)
        peer.send("expect_admin maintenance at noon")
        var admin = try await peer.next()
        #expect((admin["a"] as? [String: Any])?["room"] as? Int == 7)
        #expect((admin["b"] as? [String: Any])?["from"] as? Int == 0)

        let toAll = try await client.request(["cmd": "broadcast", "text": "node restarts soon"])
        #expect(toAll["recipients"] as? Int == 2)
        peer.send("expect_admin node restarts soon")
        admin = try await peer.next()
        #expect((admin["a"] as? [String: Any])?["dm"] as? Int == 0, "a broadcast to everyone comes as a DM from user 0")
        #expect(admin["b"] is [String: Any])

        let missing = try await client.request(["cmd": "broadcast", "room": 99, "text": "anyone?"])
        #expect(missing["ok"] as? Bool == false)

        let stats = try await client.request(["cmd": "stats"])
        #expect(stats["ok"] as? Bool == true)
        #expect(stats["connections"] as? Int == 2)
        #expect(stats["sessions"] as? Int == 2)
        #expect(stats["rooms"] as? Int == 1)
        #expect(stats["status"] as? String == "ok")
        #expect(stats["messages_in_per_s"] is Double || stats["messages_in_per_s"] is Int)
        let totals = try #require(stats["totals"] as? [String: Any])
        #expect((totals["received"] as? Int ?? 0) >= 5, "2 joins and 3 sends")
        #expect((totals["delivered"] as? Int ?? 0) >= 3 + 2 + 2)
        #expect(((stats["memory"] as? [String: Any])?["rss_bytes"] as? Int ?? 0) > 1 << 20)
        #expect((stats["cpu"] as? [String: Any])?["percent"] != nil)
        #expect((stats["shards"] as? [Any])?.isEmpty == true, "no shards with the memory store")
        peer.send("quit")
        await node.stop()
    }

    @Test func levelIsReadPinnedAndUnpinned() async throws {
        let node = try await ControlTestNode()
        let client = try node.client()
        var reply = try await client.request(["cmd": "level"])
        #expect(reply["level"] as? String == "normal")
        #expect(reply["pinned"] is NSNull)
        reply = try await client.request(["cmd": "level", "pin": "critical"])
        #expect(reply["level"] as? String == "critical")
        #expect(reply["pinned"] as? String == "critical")
        #expect(node.node.degradation.effective == .critical)
        node.node.degradation.setMeasured(.elevated)  // what the load monitor will do
        reply = try await client.request(["cmd": "level"])
        #expect(reply["level"] as? String == "critical", "a pinned level wins over the measured one")
        #expect(reply["measured"] as? String == "elevated")
        reply = try await client.request(["cmd": "level", "unpin": true])
        #expect(reply["level"] as? String == "elevated")
        #expect(reply["pinned"] is NSNull)
        #expect(node.node.degradation.levels.pinned == nil)
        await node.stop()
    }

    @Test func drainClosesWebSocketsWith1001AndHealthTurns503() async throws {
        let node = try await ControlTestNode()
        let peer = try PythonPeer(script: "control_peer.py", arguments: [String(node.port), node.secret, "3"])
        #expect(try await peer.next()["event"] as? String == "joined")
        #expect(await HTTPTestClient.get(port: node.port, path: "/health")?.status == 200)
        let reply = try await node.client().request(["cmd": "drain"])
        #expect(reply["ok"] as? Bool == true)
        #expect(reply["draining"] as? Bool == true)
        #expect(reply["closed"] as? Int == 2)
        peer.send("expect_close")
        let closed = try await peer.next()
        #expect(closed["codes"] as? [Int] == [1001, 1001])
        let health = try #require(await HTTPTestClient.get(port: node.port, path: "/health"))
        #expect(health.status == 503)
        let body = try RawControlClient.object(health.body)
        #expect(body["status"] as? String == "draining")
        #expect(await HTTPTestClient.get(port: node.port, path: "/ws")?.status == 503, "no new WebSockets while draining")
        // The node keeps running: the control socket and /metrics still answer.
        #expect(try await node.client().request(["cmd": "tree"])["ok"] as? Bool == true)
        #expect(await HTTPTestClient.get(port: node.port, path: "/metrics")?.body.contains("chat_draining 1") == true)
        await node.stop()
    }

    @Test func killingTheControlSocketItselfIsAnsweredAndItComesBack() async throws {
        let node = try await ControlTestNode()
        let client = try node.client()
        let reply = try await client.request(["cmd": "kill", "path": "/node/control"])
        #expect(reply["ok"] as? Bool == true)
        let path = ActorPath.node.appending("control")
        try await eventually("control restarted") {
            node.node.registry.status(of: path) == .running && node.node.registry.restarts(of: path) == 1
        }
        #expect(try await node.client().request(["cmd": "level"])["ok"] as? Bool == true)
        let root = try await node.client().request(["cmd": "kill", "path": "/node"])
        #expect(root["ok"] as? Bool == false)
        await node.stop()
    }
}
