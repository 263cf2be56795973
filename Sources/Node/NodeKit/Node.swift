@preconcurrency import Glibc
import Actors
import Dispatch
import Foundation
import Gateway
import Rooms
import Shards

/// A chat node built from its configuration: the loop, the supervision tree, the gateway,
/// the chat service. `start` builds it; `run` runs the tree until it stops.
///
/// ```
/// /node (oneForOne)
/// ├── /node/load-monitor
/// ├── /node/shards (oneForOne, backoff 100 ms → 5 s)
/// │   └── /node/shards/shard-N (oneForOne) ── link
/// ├── /node/rooms (oneForOne, a child per active room)
/// └── /node/gateway
/// ```
public final class Node: Sendable {
    /// The configuration it was built from.
    public let configuration: NodeConfiguration
    /// The loop everything on the hot path runs on.
    public let loop: EventLoop
    /// Every live actor by path.
    public let registry: ActorRegistry
    /// The root supervisor (`/node`).
    public let root: Supervisor
    /// The gateway.
    public let gateway: Gateway
    /// The chat service.
    public let chat: ChatService
    /// The shard links (empty with the memory store).
    public let links: [ShardLink]
    /// The load monitor (levels, pin).
    public let loadMonitor: LoadMonitor

    /// Builds a node (nothing listens until `run`).
    public static func start(configuration: NodeConfiguration) throws -> Node {
        Log.currentLevel = configuration.logLevel
        return try Node(configuration: configuration)
    }

    private init(configuration: NodeConfiguration) throws {
        self.configuration = configuration
        loop = try EventLoop.start(name: "gateway-loop-0")
        let secret = configuration.jwtSecret.map { Array($0.utf8) } ?? (0..<32).map { _ in UInt8.random(in: 0...255) }
        registry = ActorRegistry()
        let loop = self.loop
        links = configuration.store == .valkey
            ? configuration.valkeyHosts.enumerated().map { index, address in
                ShardLink(name: "shard-\(index + 1)", host: address.host, port: address.port, loop: loop)
            }
            : []
        let health = NodeHealth()
        var chatConfiguration = ChatServiceConfiguration()
        chatConfiguration.nodeID = UInt16(configuration.nodeID ?? 0)
        chatConfiguration.maxTextBytes = configuration.maxTextBytes
        chatConfiguration.rateLimitPerMinute = configuration.rateLimit
        let storeConfiguration = ChatStoreConfiguration(historyMax: configuration.historyMax, historyTTLSeconds: configuration.historyTTL)
        let store = try Self.makeStore(configuration, storeConfiguration, links: links)
        chat = ChatService(configuration: chatConfiguration, store: store, loop: loop)
        let application = NodeHTTPApplication(configuration: configuration, secret: secret, links: links, health: health, chat: chat)
        var gatewayConfiguration = GatewayConfiguration()
        gatewayConfiguration.host = configuration.host
        gatewayConfiguration.port = configuration.port
        gatewayConfiguration.maxConnections = configuration.maxConnections
        gatewayConfiguration.maxMessageBytes = configuration.maxMessageBytes
        if !configuration.deflate { gatewayConfiguration.deflate = nil }
        gateway = Gateway(loop: loop, configuration: gatewayConfiguration, application: application)
        let gateway = self.gateway
        let chat = self.chat
        let maxConnections = configuration.maxConnections
        loadMonitor = LoadMonitor(
            sampler: ProcessLoadSampler(memoryLimitMB: configuration.memoryLimitMB),
            interval: .seconds(configuration.loadSampleSeconds),
            connections: { (gateway.counters.open.load(ordering: .relaxed), maxConnections) },
            apply: { level in loop.execute { chat.setLevel(level) } })
        root = Self.tree(registry: registry, links: links, gateway: gateway, chat: chat, loop: loop, monitor: loadMonitor)
        let links = self.links
        loop.execute {
            loop.scheduleRepeating(every: .seconds(1)) {
                health.shardsUp = links.filter { link in link.assumeIsolated { $0.isConnected } }.count
            }
        }
    }

    private static func tree(registry: ActorRegistry, links: [ShardLink], gateway: Gateway, chat: ChatService,
                             loop: EventLoop, monitor: LoadMonitor) -> Supervisor {
        let shardPath = ActorPath.node.appending("shards")
        let shardSupervisors = links.map { link in
            Supervisor(
                path: shardPath.appending(link.name), strategy: .oneForOne,
                intensity: RestartIntensity(maxRestarts: 20, within: .seconds(10)),
                backoff: .exponential(initial: .milliseconds(100), max: .seconds(5)), registry: registry,
                children: [ChildSpec(id: "link", shutdown: .timeout(.seconds(2))) { _ in try await link.run() }])
        }
        let shards = Supervisor(
            path: shardPath, strategy: .oneForOne,
            intensity: RestartIntensity(maxRestarts: 10, within: .seconds(60)),
            backoff: .exponential(initial: .milliseconds(100), max: .seconds(5)),
            registry: registry, children: shardSupervisors.map { .supervisor($0) })
        let rooms = Supervisor(
            path: ActorPath.node.appending("rooms"), strategy: .oneForOne,
            intensity: RestartIntensity(maxRestarts: 100, within: .seconds(10)), registry: registry)
        loop.execute { chat.attach(gateway: gateway, roomsSupervisor: rooms) }
        return Supervisor(
            path: .node, strategy: .oneForOne, registry: registry,
            children: [
                ChildSpec(id: "load-monitor", shutdown: .brutalKill) { context in try await monitor.run(context) },
                .supervisor(shards),
                .supervisor(rooms),
                ChildSpec(id: "gateway", shutdown: .timeout(.seconds(10))) { _ in try await gateway.run() },
            ])
    }

    /// The store the configuration asks for: Valkey through the shard map, or memory.
    private static func makeStore(_ configuration: NodeConfiguration, _ storeConfiguration: ChatStoreConfiguration,
                                  links: [ShardLink]) throws -> ChatStore {
        guard configuration.store == .valkey else {
            return MemoryChatStore(configuration: storeConfiguration, now: WallClock.nowMs)
        }
        guard configuration.valkeyMode == .shards else {
            throw NodeConfigurationError(problems: ["VALKEY_MODE=cluster is not available in this build yet"])
        }
        let router = try ShardRouter(shardCount: links.count)
        let submitter = ShardMapSubmitter(router: router, links: links)
        return ValkeyChatStore(configuration: storeConfiguration, submit: submitter.submit, now: WallClock.nowMs)
    }

    /// Runs until `stop()`, SIGTERM/SIGINT (exit code 0) or until the root supervisor gives
    /// up (1).
    public func run(handleSignals: Bool = true) async -> Int32 {
        let root = self.root
        let signals = handleSignals ? Self.installSignalHandlers { Task { await root.stop() } } : []
        defer { signals.forEach { $0.cancel() } }
        do {
            try await root.run()
            Log.info("node.stopped", [:])
            loop.shutdown()
            return 0
        } catch {
            Log.error("node.gave_up", ["error": String(describing: error)])
            FileHandle.standardError.write(Data("chat-node: stopping: \(error)\n".utf8))
            return 1
        }
    }

    /// Stops the node: clients get 1001, the tree stops in reverse order.
    public func stop() async {
        await root.stop()
    }

    private static func installSignalHandlers(_ stop: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: stop)
            source.resume()
            return source
        }
    }
}
