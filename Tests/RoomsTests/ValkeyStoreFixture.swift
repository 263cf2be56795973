import Actors
import Foundation
import Gateway
import Rooms
import Shards
import TestSupport

/// Real valkey-servers, an event loop, one supervised `ShardLink` per server (as in the
/// node), a `ValkeySubmitter` over the shard map and a `ValkeyChatStore` built on the loop.
final class ValkeyStoreFixture: @unchecked Sendable {
    let servers: [ValkeyServer]
    let loop: EventLoop
    let links: [ShardLink]
    let router: ShardRouter
    let store: ValkeyChatStore
    private let supervisor: Supervisor
    private let running: Task<Void, any Error>

    /// Starts `shards` servers and links and waits until every link is connected.
    static func start(shards: Int = 1, historyMax: Int = ChatStoreContract.historyMax) async throws -> ValkeyStoreFixture {
        let servers = try (0..<shards).map { _ in try ValkeyServer() }
        let loop = try EventLoop.start(name: "store-test")
        let links = servers.enumerated().map { index, server in
            ShardLink(name: "shard-\(index + 1)", host: "127.0.0.1", port: server.port, loop: loop)
        }
        let supervisor = Supervisor(
            path: ActorPath(components: ["node", "shards"]),
            intensity: RestartIntensity(maxRestarts: 1000, within: .seconds(1)),
            backoff: .exponential(initial: .milliseconds(20), max: .milliseconds(200)),
            registry: ActorRegistry(),
            children: links.map { link in ChildSpec(id: link.name, shutdown: .timeout(.seconds(2))) { _ in try await link.run() } })
        let running = Task { try await supervisor.run() }
        for link in links { try await eventually("\(link.name) connected") { await link.isConnected } }
        let router = try ShardRouter(shardCount: shards)
        let configuration = ChatStoreConfiguration(historyMax: historyMax)
        let store = await onLoop(loop) {
            let submitter = ValkeySubmitter.shardMap(router: router, links: links)
            return UncheckedBox(ValkeyChatStore(configuration: configuration, submit: submitter.submit, now: Self.milliseconds))
        }.value
        return ValkeyStoreFixture(servers: servers, loop: loop, links: links, router: router, store: store,
                                  supervisor: supervisor, running: running)
    }

    private init(servers: [ValkeyServer], loop: EventLoop, links: [ShardLink], router: ShardRouter,
                 store: ValkeyChatStore, supervisor: Supervisor, running: Task<Void, any Error>) {
        self.servers = servers
        self.loop = loop
        self.links = links
        self.router = router
        self.store = store
        self.supervisor = supervisor
        self.running = running
    }

    /// Calls on the loop; `wipe` empties every server (FLUSHALL), as a restart without
    /// persistence would.
    var harness: StoreHarness {
        let loop = self.loop, servers = self.servers
        return StoreHarness(store: store, run: { body in loop.execute(body) }, wipe: {
            for server in servers { _ = try server.command("FLUSHALL") }
        })
    }

    /// Stops the links and the loop (servers stop when released).
    func stop() async throws {
        await supervisor.stop()
        try await running.value
        loop.shutdown()
    }

    /// Wall-clock milliseconds.
    static func milliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// Runs `body` on the loop's thread and returns its value.
func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        loop.execute { continuation.resume(returning: body()) }
    }
}

/// Whether `key` exists on `server` (checked with a raw client, not the code under test).
func exists(_ key: String, on server: ValkeyServer) throws -> Bool {
    try server.command("EXISTS", key).hasPrefix(":1")
}
