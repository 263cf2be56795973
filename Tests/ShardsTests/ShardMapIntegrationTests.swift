import Actors
import Foundation
import Gateway
import Testing
import TestSupport
@testable import Shards

/// `VALKEY_MODE=shards` against three real servers: two nodes (two clients, each on its own
/// loop with its own links and subscribers) meet on the shard of a room's channel.
@Suite struct ShardMapIntegrationTests {
    /// A node's client over `servers`, supervised; `run` with the supervisor's task.
    private struct Node {
        let loop: EventLoop
        let client: ShardMapClient
        let supervisor: Supervisor
        let running: Task<Void, any Error>
        let inbox = Inbox()

        init(_ name: String, servers: [ValkeyServer]) async throws {
            loop = try EventLoop.start(name: name)
            client = try ShardMapClient(addresses: servers.map { ValkeyAddress(host: "127.0.0.1", port: $0.port) }, loop: loop)
            await client.setMessageHandler(inbox.handler)
            (supervisor, running) = superviseLinks(client.links.map(\.childSpec) + client.subscribers.map(\.childSpec))
        }

        func stop() async throws {
            await supervisor.stop()
            try await running.value
            loop.shutdown()
        }
    }

    @Test func keysAndChannelsGoToTheirShards() async throws {
        let servers = try (0..<3).map { _ in try ValkeyServer() }
        let node = try await Node("shards-a", servers: servers)
        // Room 7 on shard-1, room 1500 on shard-2, user 9 and the DM of 3 and 4 on shard-3.
        for name in ["room:{7}:msgs", "room:{1500}:msgs", "sess:{9}", "dm:{3:4}:msgs"] {
            _ = try await node.client.command(["SET", name, "x"])
        }
        #expect(try servers[0].command("DBSIZE") == ":1\r\n")
        #expect(try servers[1].command("DBSIZE") == ":1\r\n")
        #expect(try servers[2].command("DBSIZE") == ":2\r\n")
        #expect(try servers[1].command("EXISTS", "room:{1500}:msgs") == ":1\r\n")
        try await node.stop()
    }

    @Test func pubSubCrossesNodesAndSurvivesAShardRestart() async throws {
        let servers = try (0..<3).map { _ in try ValkeyServer() }
        let a = try await Node("shards-a", servers: servers)
        let b = try await Node("shards-b", servers: servers)
        let channels = ["room.{7}", "room.{1500}", "user.{9}"]  // one per shard
        for channel in channels { await b.client.subscribe(key(channel)) }
        func subscribed() async -> Bool {
            for (shard, channel) in channels.enumerated() where await !b.client.subscribers[shard].isSubscribed(key(channel)) {
                return false
            }
            return true
        }
        try await eventually("B subscribed") { await subscribed() }
        for channel in channels {
            #expect(try await a.client.publish(key(channel), key("hello \(channel)")) == 1)
        }
        try await eventually("B got all three") { b.inbox.count == 3 }
        for channel in channels { #expect(b.inbox.payloads(on: channel) == ["hello \(channel)"]) }

        // Shard-2 dies and comes back empty: B's subscriber resubscribes on its own.
        servers[1].kill()
        try await eventually("B lost shard-2") { await !b.client.subscribers[1].isConnected }
        try servers[1].start()
        try await eventually("B resubscribed", timeout: .seconds(10)) { await subscribed() }
        #expect(try await a.client.publish(key("room.{1500}"), key("after restart")) == 1)
        try await eventually("delivered after restart") { b.inbox.payloads(on: "room.{1500}").count == 2 }
        #expect(b.inbox.payloads(on: "room.{1500}") == ["hello room.{1500}", "after restart"])

        await b.client.unsubscribe(key("room.{7}"))
        try await eventually("unsubscribed") { await !b.client.subscribers[0].isSubscribed(key("room.{7}")) }
        #expect(try await a.client.publish(key("room.{7}"), key("nobody")) == 0)
        try await a.stop()
        try await b.stop()
    }
}
