import Actors
import Foundation
import Gateway
import Testing
import TestSupport
@testable import Shards

/// A subscriber link against a real valkey-server (and against a scripted fake one for
/// replies a real server never sends), supervised as in the node.
@Suite struct ShardSubscriberIntegrationTests {
    /// Runs `body` with a supervised link and subscriber to one fresh server, then stops them.
    private func withSubscriber(
        _ body: (ValkeyServer, ShardLink, ShardSubscriber, Inbox) async throws -> Void
    ) async throws {
        let server = try ValkeyServer()
        let loop = try EventLoop.start(name: "subscriber-test")
        defer { loop.shutdown() }
        let link = ShardLink(name: "shard-1", host: "127.0.0.1", port: server.port, loop: loop)
        let subscriber = ShardSubscriber(name: "shard-1", host: "127.0.0.1", port: server.port, loop: loop)
        let inbox = Inbox()
        await subscriber.setHandler(inbox.handler)
        let (supervisor, running) = superviseLinks([link.childSpec, subscriber.childSpec])
        try await eventually("connected") {
            let linked = await link.isConnected, subscribed = await subscriber.isConnected
            return linked && subscribed
        }
        try await body(server, link, subscriber, inbox)
        await supervisor.stop()
        try await running.value
    }

    @Test func deliversMessagesOfSubscribedChannelsOnly() async throws {
        try await withSubscriber { server, link, subscriber, inbox in
            await subscriber.subscribe(key("room.{7}"))
            try await eventually("subscribed") { await subscriber.isSubscribed(key("room.{7}")) }
            for index in 0..<20 { _ = try await link.command(["PUBLISH", "room.{7}", "m\(index)"]) }
            _ = try await link.command(["PUBLISH", "room.{8}", "elsewhere"])
            try await eventually("delivered") { inbox.payloads(on: "room.{7}").count == 20 }
            #expect(inbox.payloads(on: "room.{7}") == (0..<20).map { "m\($0)" })
            #expect(inbox.payloads(on: "room.{8}").isEmpty)

            await subscriber.unsubscribe(key("room.{7}"))
            try await eventually("unsubscribed") { await !subscriber.isSubscribed(key("room.{7}")) }
            let receivers = try await link.command(["PUBLISH", "room.{7}", "late"])
            #expect(receivers.integer == 0)
        }
    }

    @Test func changesOfOneRoundGoOutAsOneCommand() async throws {
        try await withSubscriber { server, link, subscriber, inbox in
            let channels = (0..<300).map { key("room.{\($0)}") }
            // One job on the loop: 300 channels, each twice, and one taken back at once.
            subscriber.loop.execute {
                subscriber.assumeIsolated { subscriber in
                    for channel in channels + channels { subscriber.subscribe(channel) }
                    subscriber.subscribe(key("room.{999}"))
                    subscriber.unsubscribe(key("room.{999}"))
                }
            }
            try await eventually("all confirmed") { await subscriber.confirmedChannels == Set(channels) }
            let stats = try await link.command(["INFO", "commandstats"]).string ?? ""
            #expect(stats.contains("cmdstat_subscribe:calls=1,"))
            #expect(!stats.contains("cmdstat_unsubscribe"))
            #expect(subscriber.counters.confirmations.load(ordering: .relaxed) == 300)
            let numsub = try await link.command(["PUBSUB", "NUMSUB", "room.{299}", "room.{999}"])
            #expect(numsub.array == [.bulk("room.{299}"), .integer(1), .bulk("room.{999}"), .integer(0)])
        }
    }

    @Test func resubscribesEverythingAfterTheServerRestarts() async throws {
        try await withSubscriber { server, link, subscriber, inbox in
            let channels = (0..<50).map { key("user.{\($0)}") }
            for channel in channels { await subscriber.subscribe(channel) }
            try await eventually("subscribed") { await subscriber.confirmedChannels == Set(channels) }
            server.kill()
            try await eventually("lost") { await !subscriber.isConnected }
            try server.start()
            try await eventually("resubscribed", timeout: .seconds(10)) { await subscriber.confirmedChannels == Set(channels) }
            _ = try await link.command(["PUBLISH", "user.{49}", "after"])
            try await eventually("delivered") { inbox.payloads(on: "user.{49}") == ["after"] }
            #expect(subscriber.counters.connects.load(ordering: .relaxed) >= 2)
        }
    }

    @Test func unexpectedRepliesAreSkippedAndGarbageEndsTheConnection() async throws {
        let fake = try ScriptedServer()
        let loop = try EventLoop.start(name: "subscriber-fake")
        defer { loop.shutdown() }
        let subscriber = ShardSubscriber(name: "fake", host: "127.0.0.1", port: fake.port, loop: loop)
        let inbox = Inbox()
        await subscriber.setHandler(inbox.handler)
        await subscriber.subscribe(key("room.{1}"))
        // Backoff of a minute: the second life would not begin within the test.
        let (supervisor, running) = superviseLinks([subscriber.childSpec], backoff: .exponential(initial: .seconds(60), max: .seconds(60)))
        let request = try fake.accept()
        #expect(request.contains("SUBSCRIBE"))
        try fake.send(
            "*3\r\n$9\r\nsubscribe\r\n$8\r\nroom.{1}\r\n:1\r\n"  // the confirmation
                + "+OK\r\n:5\r\n$3\r\nodd\r\n*0\r\n*1\r\n:1\r\n"  // not pub/sub replies
                + "*2\r\n$7\r\nmessage\r\n$8\r\nroom.{1}\r\n"  // a message with no payload
                + "*3\r\n$7\r\nmessage\r\n:1\r\n$1\r\nx\r\n"  // a channel that is not a string
                + "*3\r\n$11\r\nunsubscribe\r\n$8\r\nroom.{5}\r\n:0\r\n"  // a confirmation never asked for
                + "*3\r\n$9\r\nsubscribe\r\n$8\r\nroom.{6}\r\n:2\r\n"  // another
                + "-ERR out of the blue\r\n"  // an error with nothing pending
                + "*3\r\n$7\r\nmessage\r\n$8\r\nroom.{2}\r\n$3\r\nnot\r\n"  // a channel not wanted
                + "*3\r\n$7\r\nmessage\r\n$8\r\nroom.{1}\r\n$2\r\nhi\r\n")
        try await eventually("message after the noise") { inbox.payloads(on: "room.{1}") == ["hi"] }
        #expect(await subscriber.isConnected)
        #expect(await subscriber.isSubscribed(key("room.{1}")))
        #expect(subscriber.counters.unexpected.load(ordering: .relaxed) == 9)
        try fake.send("!not RESP\r\n")
        try await eventually("connection ended") { subscriber.counters.disconnects.load(ordering: .relaxed) == 1 }
        #expect(inbox.count == 1)
        await supervisor.stop()
        try await running.value
    }
}
