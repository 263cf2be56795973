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
/// │   └── /node/shards/shard-N (oneForOne) ── link, subscriber (cluster: per master)
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
    /// The shard links of the shard map (empty with the memory store or a cluster).
    public let links: [ShardLink]
    /// The pub/sub links of the shard map.
    public let subscribers: [ShardSubscriber]
    /// Valkey, through the shard map or a Valkey Cluster (nil with the memory store).
    public let valkey: (any ValkeyClient)?
    let shardsSupervisor: Supervisor
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
        let shardMap = configuration.store == .valkey && configuration.valkeyMode == .shards
        links = shardMap
            ? configuration.valkeyHosts.enumerated().map { index, address in
                ShardLink(name: "shard-\(index + 1)", host: address.host, port: address.port, loop: loop)
            }
            : []
        subscribers = links.map { ShardSubscriber(name: $0.name, host: $0.host, port: $0.port, loop: loop) }
        shardsSupervisor = Self.shardsSupervisor(registry: registry, links: links, subscribers: subscribers)
        valkey = try Self.makeClient(configuration, links: links, subscribers: subscribers, loop: loop,
                                     supervisor: shardsSupervisor)
        let health = NodeHealth()
        var chatConfiguration = ChatServiceConfiguration()
        chatConfiguration.nodeID = UInt16(configuration.nodeID ?? 0)
        chatConfiguration.maxTextBytes = configuration.maxTextBytes
        chatConfiguration.rateLimitPerMinute = configuration.rateLimit
        let storeConfiguration = ChatStoreConfiguration(historyMax: configuration.historyMax, historyTTLSeconds: configuration.historyTTL)
        let store = Self.makeStore(storeConfiguration, client: valkey)
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
        root = Self.tree(registry: registry, shards: shardsSupervisor, gateway: gateway, chat: chat, loop: loop,
                         monitor: loadMonitor)
        let links = self.links
        loop.execute {
            loop.scheduleRepeating(every: .seconds(1)) {
                health.shardsUp = links.filter { link in link.assumeIsolated { $0.isConnected } }.count
            }
        }
    }

    /// `/node/shards`: per shard of the map a supervisor with its link and subscriber; in
    /// cluster mode the cluster client adds a link and a subscriber per master.
    private static func shardsSupervisor(registry: ActorRegistry, links: [ShardLink],
                                         subscribers: [ShardSubscriber]) -> Supervisor {
        let shardPath = ActorPath.node.appending("shards")
        let shardSupervisors = zip(links, subscribers).map { link, subscriber in
            Supervisor(
                path: shardPath.appending(link.name), strategy: .oneForOne,
                intensity: RestartIntensity(maxRestarts: 20, within: .seconds(10)),
                backoff: .exponential(initial: .milliseconds(100), max: .seconds(5)), registry: registry,
                children: [
                    ChildSpec(id: "link", shutdown: .timeout(.seconds(2))) { _ in try await link.run() },
                    ChildSpec(id: "subscriber", shutdown: .timeout(.seconds(2))) { _ in try await subscriber.run() },
                ])
        }
        return Supervisor(
            path: shardPath, strategy: .oneForOne,
            intensity: RestartIntensity(maxRestarts: 10, within: .seconds(60)),
            backoff: .exponential(initial: .milliseconds(100), max: .seconds(5)),
            registry: registry, children: shardSupervisors.map { .supervisor($0) })
    }

    /// The Valkey client the configuration asks for.
    private static func makeClient(_ configuration: NodeConfiguration, links: [ShardLink], subscribers: [ShardSubscriber],
                                   loop: EventLoop, supervisor: Supervisor) throws -> (any ValkeyClient)? {
        guard configuration.store == .valkey else { return nil }
        switch configuration.valkeyMode {
        case .shards:
            return ShardMapClient(router: try ShardRouter(shardCount: links.count), links: links,
                                  subscribers: subscribers, loop: loop)
        case .cluster:
            let seeds = configuration.valkeyHosts.compactMap { ValkeyAddress("\($0.host):\($0.port)") }
            return ClusterClient(seeds: seeds, loop: loop, supervisor: supervisor)
        }
    }

    private static func tree(registry: ActorRegistry, shards: Supervisor, gateway: Gateway, chat: ChatService,
                             loop: EventLoop, monitor: LoadMonitor) -> Supervisor {
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

    /// The store: Valkey through `client`, or memory when there is none.
    private static func makeStore(_ storeConfiguration: ChatStoreConfiguration, client: (any ValkeyClient)?) -> ChatStore {
        guard let client else { return MemoryChatStore(configuration: storeConfiguration, now: WallClock.nowMs) }
        let submitter = ValkeySubmitter(client: client)
        return ValkeyChatStore(configuration: storeConfiguration, submit: submitter.submit, now: WallClock.nowMs)
    }

    /// Runs until `stop()`, SIGTERM/SIGINT (exit code 0) or until the root supervisor gives
    /// up (1).
    public func run(handleSignals: Bool = true) async -> Int32 {
        let root = self.root
        if let cluster = valkey as? ClusterClient {
            let shards = shardsSupervisor
            let loop = self.loop
            Task {
                while !(await shards.isRunning) { try? await Task.sleep(for: .milliseconds(10)) }
                loop.execute { cluster.assumeIsolated { $0.start() } }
            }
        }
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
