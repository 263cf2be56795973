import Actors
import Foundation
import Gateway
import Synchronization
import Testing
import TestSupport
@testable import Shards

/// `VALKEY_MODE=cluster` against a three-master Valkey Cluster built by each test.
@Suite struct ClusterIntegrationTests {
    /// A node's cluster client on its own loop, its links under their own supervisor.
    private struct Node {
        let loop: EventLoop
        let client: ClusterClient
        let supervisor: Supervisor
        let running: Task<Void, any Error>
        let inbox = Inbox()

        init(_ name: String, cluster: TestCluster) async throws {
            let loop = try EventLoop.start(name: name)
            let (supervisor, running) = superviseLinks([])
            try await eventually("supervisor running") { await supervisor.isRunning }
            let client = ClusterClient(seeds: cluster.seeds, loop: loop, supervisor: supervisor)
            await client.setMessageHandler(inbox.handler)
            await client.start()
            try await eventually("topology known") { await client.coveredSlotCount == HashSlot.count }
            (self.loop, self.supervisor, self.running, self.client) = (loop, supervisor, running, client)
        }

        func stop() async throws {
            await supervisor.stop()
            try await running.value
            loop.shutdown()
        }
    }

    /// The first room id from `start` whose channel and keys live in a slot of server `index`.
    private func room(on index: Int, of cluster: TestCluster, from start: UInt32 = 1) -> UInt32 {
        var room = start
        while cluster.initialOwner(ofSlot: HashSlot.slot(forKey: Keyspace.roomMessages(room))) != index { room += 1 }
        return room
    }

    @Test func keysEndUpOnTheMasterOfTheirSlot() async throws {
        let cluster = try await TestCluster()
        let node = try await Node("cluster-keys", cluster: cluster)
        #expect(await Set(node.client.masters) == Set((0..<3).map(cluster.address)))
        let keys = (0..<200).map { "room:{\($0)}:msgs" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in keys {
                group.addTask {
                    var encoder = RESPEncoder()
                    encoder.command("SET", name, "x")
                    encoder.command("EXPIRE", name, 600)
                    let replies = try await node.client.execute(encoder.take(), commands: 2, key: Array(name.utf8))
                    #expect(replies == [.simpleString("OK"), .integer(1)])
                }
            }
            try await group.waitForAll()
        }
        // Where the servers themselves say each key belongs.
        var expected = [0, 0, 0]
        for name in keys {
            let slot = try #require(cluster.raw(0, ["CLUSTER", "KEYSLOT", name]).integer)
            expected[cluster.initialOwner(ofSlot: Int(slot))] += 1
        }
        let sizes = try (0..<3).map { try cluster.raw($0, ["DBSIZE"]).integer ?? -1 }
        #expect(sizes == expected.map(Int64.init))
        #expect(expected.allSatisfy { $0 > 0 })
        #expect(node.client.counters.moved.load(ordering: .relaxed) == 0)
        try await node.stop()
    }

    @Test func migratedSlotIsFollowedThroughAskAndMovedWithoutLosingOrRepeatingCommands() async throws {
        let cluster = try await TestCluster()
        let node = try await Node("cluster-migrate", cluster: cluster)
        let client = node.client
        let room = room(on: 0, of: cluster)
        let slot = HashSlot.slot(forKey: Keyspace.roomMessages(room))
        // Filler keys in the slot, so that the migration takes several steps.
        for index in 0..<40 { _ = try await client.command(["SET", "room:{\(room)}:filler:\(index)", "x"]) }

        // Traffic: 4 callers INCR 8 counters one command at a time; one pipelined writer
        // submits RPUSH batches back to back from the loop, 10 per round.
        let incrementsPerCaller = 150
        let callers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<4 {
                    group.addTask {
                        for step in 0..<incrementsPerCaller {
                            _ = try await client.command(["INCR", "room:{\(room)}:counter:\((caller + step) % 8)"])
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let pushes = 400
        let acked = Tally()
        let writer = Task {
            for round in 0..<(pushes / 10) {
                node.loop.execute {
                    client.assumeIsolated { client in
                        for index in (round * 10)..<(round * 10 + 10) {
                            var encoder = RESPEncoder()
                            encoder.command("RPUSH", "room:{\(room)}:log", index)
                            let queued = client.submit(encoder.take(), commands: 1, key: Array("room:{\(room)}:log".utf8)) { result in
                                if case .success(let replies) = result, replies.first?.integer != nil { acked.value.add(1, ordering: .relaxed) }
                            }
                            precondition(queued, "outbox full in a test")
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(3))
            }
        }

        try await Task.sleep(for: .milliseconds(30))
        var probedAsk = false
        try await cluster.migrate(slot: slot, from: 0, to: 1, keysPerStep: 4) {
            // A key the source does not have while its slot migrates is created on the
            // target through ASK: deterministic, whatever the traffic met.
            if !probedAsk {
                #expect(try await client.command(["INCR", "room:{\(room)}:probe"]).integer == 1)
                probedAsk = true
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await callers.value
        try await writer.value
        try await eventually("all pushes acked") { acked.value.load(ordering: .relaxed) == pushes }

        // Every INCR counted once, every RPUSH once and in order, all on the new owner.
        var total: Int64 = 0
        for counter in 0..<8 {
            let value = try await client.command(["GET", "room:{\(room)}:counter:\(counter)"])
            total += value.integer ?? 0
            let expected = (0..<4).reduce(0) { sum, caller in
                sum + (0..<incrementsPerCaller).filter { (caller + $0) % 8 == counter }.count
            }
            #expect(value.integer == Int64(expected))
        }
        #expect(total == Int64(4 * incrementsPerCaller))
        let log = try await client.command(["LRANGE", "room:{\(room)}:log", "0", "-1"])
        #expect(log.array?.compactMap { $0.string.flatMap(Int.init) } == Array(0..<pushes))
        #expect(try cluster.raw(0, ["CLUSTER", "COUNTKEYSINSLOT", String(slot)]).integer == 0)
        let listed = try cluster.raw(1, ["CLUSTER", "GETKEYSINSLOT", String(slot), "100"])
        let keysOnTarget: [String] = listed.array?.compactMap(\.string) ?? []
        let expectedKeys = 40 + 8 + 2  // fillers, counters, log, probe
        #expect(keysOnTarget.count == expectedKeys)
        #expect(await client.owner(ofKey: Keyspace.roomMessages(room)) == cluster.address(1))
        #expect(client.counters.ask.load(ordering: .relaxed) >= 1)
        #expect(client.counters.moved.load(ordering: .relaxed) >= 1)
        #expect(client.counters.redirectLimit.load(ordering: .relaxed) == 0)
        try await node.stop()
    }

    @Test func shardedPubSubDeliversAndFollowsItsSlot() async throws {
        let cluster = try await TestCluster()
        let a = try await Node("cluster-a", cluster: cluster)
        let b = try await Node("cluster-b", cluster: cluster)
        let rooms = (0..<3).map { room(on: $0, of: cluster) }
        let channels = rooms.map { Keyspace.roomChannel($0) }
        for channel in channels { await b.client.subscribe(channel) }
        func subscribed(_ channel: [UInt8], on index: Int) async -> Bool {
            guard let subscriber = await b.client.subscriber(of: cluster.address(index)) else { return false }
            return await subscriber.isSubscribed(channel)
        }
        for (index, channel) in channels.enumerated() {
            try await eventually("B subscribed on master \(index)") { await subscribed(channel, on: index) }
            #expect(try await a.client.publish(channel, Array("hello \(index)".utf8)) == 1)
        }
        for (index, channel) in channels.enumerated() {
            try await eventually("delivered on master \(index)") { b.inbox.payloads(on: Keyspace.text(channel)) == ["hello \(index)"] }
        }

        // Room 0's slot moves to master 2 (no keys to move): master 0 drops B's
        // subscription, B subscribes on master 2, A's SPUBLISH follows the MOVED.
        let slot = HashSlot.slot(forKey: channels[0])
        try await cluster.migrate(slot: slot, from: 0, to: 2)
        try await eventually("B resubscribed on master 2") { await subscribed(channels[0], on: 2) }
        #expect(try await a.client.publish(channels[0], Array("moved".utf8)) == 1)
        try await eventually("delivered after the move") { b.inbox.payloads(on: Keyspace.text(channels[0])).count == 2 }
        #expect(b.inbox.payloads(on: Keyspace.text(channels[0])) == ["hello 0", "moved"])
        #expect(b.client.counters.channelMoves.load(ordering: .relaxed) >= 1)

        await b.client.unsubscribe(channels[1])
        try await eventually("unsubscribed") { await !subscribed(channels[1], on: 1) }
        #expect(try await a.client.publish(channels[1], Array("nobody".utf8)) == 0)
        try await a.stop()
        try await b.stop()
    }
}

/// A counter shared with completions on the loop.
private final class Tally: Sendable {
    let value = Atomic<Int>(0)
}
