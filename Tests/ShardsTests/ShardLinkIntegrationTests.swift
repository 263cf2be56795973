import Actors
import Foundation
import Gateway
import Synchronization
import Testing
import TestSupport
@testable import Shards

/// A shard link against a real valkey-server, supervised as in the node.
@Suite struct ShardLinkIntegrationTests {
    /// Runs `body` with a supervised link connected to a fresh valkey-server, then stops it.
    private func withSupervisedLink(
        _ body: (ValkeyServer, ShardLink, Supervisor) async throws -> Void
    ) async throws {
        let server = try ValkeyServer()
        let loop = try EventLoop.start(name: "link-test")
        defer { loop.shutdown() }
        let link = ShardLink(name: "shard-1", host: "127.0.0.1", port: server.port, loop: loop)
        let (supervisor, running) = superviseLinks([link.childSpec])
        try await eventually("connected") { await link.isConnected }
        try await body(server, link, supervisor)
        await supervisor.stop()
        try await running.value
    }

    @Test func commandsFromManyConcurrentCallersGetTheirOwnReplies() async throws {
        try await withSupervisedLink { server, link, supervisor in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<100 {
                    group.addTask {
                        for step in 0..<20 {
                            let key = "k:\(caller):\(step)"
                            _ = try await link.command(["SET", key, "v\(caller)-\(step)"])
                            let value = try await link.command(["GET", key])
                            #expect(value.string == "v\(caller)-\(step)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let size = try await link.command(["DBSIZE"])
            #expect(size.integer == 2000)
        }
    }

    @Test func pipelinedBatchGetsRepliesInOrder() async throws {
        try await withSupervisedLink { server, link, supervisor in
            var encoder = RESPEncoder()
            for index in 0..<500 { encoder.command("INCRBY", "counter", index) }
            let replies = try await link.execute(encoder.take(), commands: 500)
            var total: Int64 = 0
            for (index, reply) in replies.enumerated() {
                total += Int64(index)
                #expect(reply.integer == total)
            }
        }
    }

    @Test func errorRepliesReachTheCallerAndTheLinkStaysUp() async throws {
        try await withSupervisedLink { server, link, supervisor in
            await #expect(throws: ShardLinkError.self) { _ = try await link.command(["NOSUCHCOMMAND"]) }
            let pong = try await link.command(["PING"])
            #expect(pong.string == "PONG")
        }
    }

    @Test func writesWaitWhileTheShardIsDownAndFlushInOrderAfter() async throws {
        try await withSupervisedLink { server, link, supervisor in
            server.kill()
            try await eventually("disconnected") { await !link.isConnected }
            // Acks wait: these complete only once the shard is back.
            let acked = Acked()
            let writers = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<50 {
                        group.addTask {
                            var encoder = RESPEncoder()
                            encoder.command("RPUSH", "log", index)
                            _ = try await link.execute(encoder.take(), commands: 1)
                            await acked.add(index)
                        }
                        try await Task.sleep(for: .milliseconds(1))
                    }
                    try await group.waitForAll()
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(await acked.values.isEmpty)
            try server.start()
            try await writers.value
            #expect(await acked.values.count == 50)
            let list = try await link.command(["LRANGE", "log", "0", "-1"])
            let stored = list.array?.compactMap { $0.string.flatMap(Int.init) } ?? []
            #expect(stored == Array(0..<50))
            #expect(supervisor.registry.restarts(of: ActorPath(components: ["node", "shards", "shard-1"])) ?? 0 >= 1)
        }
    }

    @Test func fullOutboxRefusesWholeBatches() async throws {
        let loop = try EventLoop.start(name: "link-test")
        defer { loop.shutdown() }
        var configuration = ShardLinkConfiguration()
        configuration.outboxCommands = 10
        // Nothing listens on this port: everything waits in the outbox.
        let link = ShardLink(name: "shard-x", host: "127.0.0.1", port: try FreePort.next(), loop: loop, configuration: configuration)
        var encoder = RESPEncoder()
        for _ in 0..<4 { encoder.command("PING") }
        let batch = encoder.take()
        #expect(await link.submit(batch, commands: 4) { _ in })
        #expect(await link.submit(batch, commands: 4) { _ in })
        #expect(await !link.submit(batch, commands: 4) { _ in })
        await #expect(throws: ShardLinkError.outboxFull) { _ = try await link.execute(batch, commands: 4) }
    }
}

private actor Acked {
    var values: [Int] = []
    func add(_ value: Int) { values.append(value) }
}
