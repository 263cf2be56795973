import Foundation
import Gateway
import Rooms
import Shards
import Synchronization
import Testing
import TestSupport

/// `ValkeyChatStore` against real valkey-servers through supervised shard links.
@Suite struct ValkeyChatStoreTests {
    @Test func passesTheStoreContract() async throws {
        let fixture = try await ValkeyStoreFixture.start()
        try await ChatStoreContract.run(fixture.harness)
        try await fixture.stop()
    }

    @Test func keysLandOnTheirShardsOfTheDefaultMap() async throws {
        let fixture = try await ValkeyStoreFixture.start(shards: 3)
        let h = fixture.harness
        let servers = fixture.servers
        let hashedRoom: UInt32 = 2500
        let hashedShard = fixture.router.shard(forRoom: hashedRoom)
        try await h.append(1, to: .room(5))
        try await h.append(2, to: .room(1500))
        try await h.append(3, to: .room(hashedRoom))
        try await h.append(4, to: .dm(between: 4, and: 3))
        let _: Int = try await h.call { store, done in store.join(room: 5, user: 7, completion: done) }
        let _: Void = try await h.call { store, done in store.linkDM(3, 4, completion: done) }
        let _: Void = try await h.call { store, done in store.setRead(.room(5), user: 7, id: 1, completion: done) }
        let _: Void = try await h.call { store, done in store.setRead(.dm(between: 3, and: 4), user: 3, id: 4, completion: done) }

        let placed: [(key: String, shard: Int)] = [
            ("room:{5}:msgs", 0), ("room:{5}:epoch", 0), ("room:{5}:members", 0), ("room:{5}:reads", 0),
            ("room:{1500}:msgs", 1), ("room:{1500}:epoch", 1),
            ("room:{2500}:msgs", hashedShard),
            ("dm:{3:4}:msgs", 2), ("dm:{3:4}:epoch", 2), ("dm:{3:4}:reads", 2),
            ("user:{7}:rooms", 2), ("user:{3}:dms", 2), ("user:{4}:dms", 2),
        ]
        for (key, shard) in placed {
            for (index, server) in servers.enumerated() {
                #expect(try exists(key, on: server) == (index == shard), "\(key) on shard \(index + 1)")
            }
        }
        // Every score is 0; the member starts with the 8-byte big-endian id.
        let raw = try servers[0].command("ZRANGE", "room:{5}:msgs", "0", "-1", "WITHSCORES")
        #expect(raw.hasPrefix("*2\r\n"))
        #expect(raw.hasSuffix("\r\n$1\r\n0\r\n"))
        #expect(raw.contains("\r\n\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{1}\u{0}\u{1}"), "id 1, then the raw codec flag and version 1")
        #expect(try servers[0].command("TTL", "room:{5}:msgs") != ":-1\r\n")
        try await fixture.stop()
    }

    @Test func appendsWaitWhileTheShardIsDownAndCompleteAfter() async throws {
        let fixture = try await ValkeyStoreFixture.start()
        let server = fixture.servers[0], link = fixture.links[0]
        server.kill()
        try await eventually("disconnected") { await !link.isConnected }
        let results = Mutex<[Result<Void, StoreError>]>([])
        let store = UncheckedBox(fixture.store)
        fixture.loop.execute {
            for id in 1...3 as ClosedRange<UInt64> {
                let message = StoredMessage(id: id, from: 1, ts: Int64(id), text: "m\(id)")
                store.value.append(message, to: .room(77)) { result in results.withLock { $0.append(result) } }
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(results.withLock { $0.isEmpty }, "acks wait for the shard")
        try server.start()
        try await eventually("acked") { results.withLock { $0.count == 3 } }
        #expect(results.withLock { $0.allSatisfy { (try? $0.get()) != nil } })
        #expect(try await fixture.harness.page(.room(77), limit: 10).map(\.text) == ["m1", "m2", "m3"])
        try await fixture.stop()
    }

    @Test func aFullOutboxIsUnavailable() async throws {
        let loop = try EventLoop.start(name: "store-test")
        defer { loop.shutdown() }
        var configuration = ShardLinkConfiguration()
        configuration.outboxCommands = 6
        // Nothing listens and the link never runs: every batch waits in the outbox.
        let link = ShardLink(name: "shard-x", host: "127.0.0.1", port: try FreePort.next(), loop: loop, configuration: configuration)
        let router = try ShardRouter(shardCount: 1)
        let outcomes = Outcomes()
        await onLoop(loop) {
            let submitter = ValkeySubmitter.shardMap(router: router, links: [link])
            let store = ValkeyChatStore(configuration: .init(historyMax: 5), submit: submitter.submit, now: { 1 })
            let message = StoredMessage(id: 1, from: 1, ts: 1, text: "x")
            store.append(message, to: .room(1), completion: outcomes.record("first append"))  // 5 commands: queued
            store.append(message, to: .room(1), completion: outcomes.record("second append"))  // 10 > 6: refused
            // Room batch (2 commands) refused, user batch (1) queued: one completion, after both.
            store.join(room: 1, user: 1, completion: outcomes.record("join"))
        }
        // Refusals complete at once; what was queued waits for a shard that never comes.
        #expect(outcomes.list.withLock { $0 } == ["second append: unavailable"])
        #expect(link.mailboxDepth == 6)
    }

    @Test func corruptRecordsAreSkippedOrReportedNeverTrapped() async throws {
        let fixture = try await ValkeyStoreFixture.start()
        let h = fixture.harness, server = fixture.servers[0]
        // A member with id 5 and an unknown codec flag, and one too short to hold an id.
        _ = try server.command("ZADD", "room:{9}:msgs", "0", "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{5}\u{7}junk", "0", "abc")
        try await h.append(6, text: "fine", to: .room(9))
        #expect(try await h.page(.room(9), limit: 10).map(\.id) == [6])
        #expect(try await h.since(.room(9), after: 0).messages.map(\.id) == [6])
        let missing: StoredMessage? = try await h.call { store, done in store.message(.room(9), id: 5, completion: done) }
        #expect(missing == nil)

        // A key of the wrong type: WRONGTYPE error replies become `.corrupt`.
        _ = try server.command("SET", "room:{10}:msgs", "x")
        await expectCorrupt { try await h.page(.room(10), limit: 10) }
        await expectCorrupt { try await h.append(1, to: .room(10)) }

        // A read position that is not an id, an epoch that is empty, members that are not ids.
        _ = try server.command("HSET", "room:{11}:reads", "1", "12x")
        await expectCorrupt { let _: UInt64 = try await h.call { store, done in store.readPosition(.room(11), user: 1, completion: done) } }
        _ = try server.command("SET", "room:{11}:epoch", "")
        await expectCorrupt { try await h.epoch(.room(11)) }
        _ = try server.command("SADD", "user:{12}:rooms", "abc", "007", "4294967296")
        _ = try server.command("LPUSH", "room:{11}:edits:1", "\u{9}bad flag")
        let _: Int = try await h.call { store, done in store.join(room: 3, user: 12, completion: done) }
        let chats: UserChats = try await h.call { store, done in store.chats(of: 12, completion: done) }
        #expect(chats.rooms == [3])
        let edits: [String] = try await h.call { store, done in store.editHistory(.room(11), id: 1, completion: done) }
        #expect(edits.isEmpty)
        try await fixture.stop()
    }

    @Test func readPositionsCompareAll64Bits() async throws {
        let fixture = try await ValkeyStoreFixture.start()
        let h = fixture.harness
        let chat = ChatKey.room(13)
        // Differ only below 2^11: as doubles (ZADD GT, Lua numbers) these would be equal.
        let high: UInt64 = (1 << 63) + 1025, higher: UInt64 = (1 << 63) + 1026
        for id in [high, 9, higher, high, 1 << 62] {
            let _: Void = try await h.call { store, done in store.setRead(chat, user: 1, id: id, completion: done) }
        }
        let position: UInt64 = try await h.call { store, done in store.readPosition(chat, user: 1, completion: done) }
        #expect(position == higher)
        try await fixture.stop()
    }

    @Test func epochLivesAndDiesWithTheHistory() async throws {
        let fixture = try await ValkeyStoreFixture.start()
        let h = fixture.harness, server = fixture.servers[0]
        try await h.append(1, to: .room(14))
        let epoch = try await h.epoch(.room(14))
        #expect(try server.command("GET", "room:{14}:epoch").contains(epoch))
        let ttl = try server.command("TTL", "room:{14}:epoch")
        #expect(ttl.hasPrefix(":") && ttl != ":-1\r\n" && ttl != ":-2\r\n")
        // The history expires (here: deleted with its epoch, as expiry does): a new epoch.
        _ = try server.command("DEL", "room:{14}:msgs", "room:{14}:epoch")
        #expect(try await h.epoch(.room(14)) != epoch)
        try await fixture.stop()
    }

    private func expectCorrupt<T>(_ body: () async throws -> T, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            _ = try await body()
            Issue.record("expected .corrupt", sourceLocation: sourceLocation)
        } catch StoreError.corrupt {
        } catch {
            Issue.record("expected .corrupt, got \(error)", sourceLocation: sourceLocation)
        }
    }
}

/// Outcomes of completions, by name, from the loop thread.
private final class Outcomes: Sendable {
    let list = Mutex<[String]>([])

    func record<T>(_ name: String) -> (Result<T, StoreError>) -> Void {
        { result in
            let outcome: String
            switch result {
            case .success: outcome = "ok"
            case .failure(.unavailable): outcome = "unavailable"
            case .failure(.corrupt): outcome = "corrupt"
            }
            self.list.withLock { $0.append("\(name): \(outcome)") }
        }
    }
}
