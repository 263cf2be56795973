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
/// ├── /node/gateway
/// └── /node/control          admin control socket (its own loop thread)
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
    /// The load monitor (measures the level; operators pin through `degradation`).
    public let loadMonitor: LoadMonitor

    // MARK: Operations (issue 7): control socket, metrics, health, drain, levels
    /// What operators watch and steer: degradation level, sampler, drain flag.
    public let operations: NodeOperations
    /// The control socket server (`/node/control`), on its own loop.
    public let control: ControlServer
    /// The degradation level (the load monitor sets it, operators pin it).
    public var degradation: DegradationControl { operations.degradation }

    /// Builds a node (nothing listens until `run`).
    public static func start(configuration: NodeConfiguration) throws -> Node {
        Log.currentLevel = configuration.logLevel
        return try Node(configuration: configuration)
    }

    private init(configuration: NodeConfiguration) throws {
        self.configuration = configuration
        let tls: TLSContext?
        do { tls = try Self.loadTLS(configuration) } catch {
            throw NodeConfigurationError(problems: ["TLS_CERT/TLS_KEY: \(error)"])
        }
        // First, so that a second node on the same socket stops here with a clear message.
        let listener = try ControlListener(path: configuration.controlSocket)
        let controlLoop: EventLoop
        do {
            controlLoop = try EventLoop.start(name: "control-loop")
        } catch {
            listener.close()
            throw error
        }
        let ioLoops: [EventLoop]
        do {
            loop = try EventLoop.start(name: "gateway-loop-0")
            do { ioLoops = try Gateway.startIOLoops(count: configuration.gatewayLoops - 1) } catch {
                loop.shutdown()
                throw error
            }
        } catch {
            listener.close()
            controlLoop.shutdown()
            throw error
        }
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
        var chatConfiguration = ChatServiceConfiguration()
        chatConfiguration.nodeID = UInt16(configuration.nodeID ?? 0)
        chatConfiguration.maxTextBytes = configuration.maxTextBytes
        chatConfiguration.rateLimitPerMinute = configuration.rateLimit
        let storeConfiguration = ChatStoreConfiguration(historyMax: configuration.historyMax, historyTTLSeconds: configuration.historyTTL)
        let store = Self.makeStore(storeConfiguration, client: valkey)
        chat = ChatService(configuration: chatConfiguration, store: store, loop: loop)
        if let valkey { Self.connectNodes(chat: chat, client: valkey, loop: loop) }
        operations = NodeOperations(
            registry: registry, chat: chat, links: links, degradation: DegradationControl(),
            memoryLimitBytes: configuration.memoryLimitMB << 20)
        let application = NodeHTTPApplication(
            configuration: configuration, secret: secret, links: links, chat: chat, operations: operations)
        var gatewayConfiguration = GatewayConfiguration()
        gatewayConfiguration.host = configuration.host
        gatewayConfiguration.port = configuration.port
        gatewayConfiguration.maxConnections = configuration.maxConnections
        gatewayConfiguration.maxMessageBytes = configuration.maxMessageBytes
        if !configuration.deflate { gatewayConfiguration.deflate = nil }
        gatewayConfiguration.tls = tls
        gateway = try Gateway(loop: loop, ioLoops: ioLoops, configuration: gatewayConfiguration, application: application)
        let gateway = self.gateway
        let chat = self.chat
        let maxConnections = configuration.maxConnections
        let degradation = operations.degradation
        loadMonitor = LoadMonitor(
            sampler: ProcessLoadSampler(memoryLimitMB: configuration.memoryLimitMB),
            interval: .seconds(configuration.loadSampleSeconds),
            connections: { (gateway.counters.open.load(ordering: .relaxed), maxConnections) },
            apply: { level in degradation.setMeasured(level) })
        // The level in force (measured, or pinned by an operator) reaches the chat service.
        degradation.onChange { level in loop.execute { chat.setLevel(level) } }
        control = Self.controlServer(
            listener: listener, loop: controlLoop, configuration: configuration, registry: registry, gateway: gateway,
            chat: chat, operations: operations)
        let control = self.control
        root = Self.tree(registry: registry, shards: shardsSupervisor, gateway: gateway, chat: chat, loop: loop,
                         monitor: loadMonitor, extraChildren: [
                            ChildSpec(id: "control", shutdown: .timeout(.seconds(2))) { context in await control.run(context) },
                         ])
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
                             loop: EventLoop, monitor: LoadMonitor, extraChildren: [ChildSpec]) -> Supervisor {
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
            ] + extraChildren)
    }

    // MARK: Operations wiring (issue 7)

    /// The control server on a loop of its own, with the 1 s sampler on that loop.
    private static func controlServer(listener: ControlListener, loop controlLoop: EventLoop, configuration: NodeConfiguration,
                                      registry: ActorRegistry, gateway: Gateway, chat: ChatService,
                                      operations: NodeOperations) -> ControlServer {
        operations.attach(gateway.counters)
        var settings = ControlServerConfiguration()
        settings.token = configuration.controlToken
        settings.maxTextBytes = configuration.maxTextBytes
        let commands = ControlCommands(registry: registry, gateway: gateway, chat: chat, operations: operations)
        let sampler = operations.sampler
        controlLoop.execute {
            sampler.tick()
            controlLoop.scheduleRepeating(every: .seconds(1)) { sampler.tick() }
        }
        return ControlServer(loop: controlLoop, listener: listener, configuration: settings, commands: commands)
    }

    /// Drains: WebSocket upgrades are refused (503), open WebSockets are closed with 1001,
    /// `/health` answers 503; HTTP keeps being served and the node keeps running.
    /// Returns the number of WebSockets closed.
    @discardableResult
    public func drain() async -> Int {
        operations.startDraining()
        return await gateway.closeWebSockets(code: .goingAway, reason: "draining")
    }

    /// Closes the control socket (removing its file) and stops its loop.
    private func closeOperations() {
        control.listener.close()
        control.loop.shutdown()
    }

    /// Cross-node fan-out: room messages are published on the room's channel; rooms with
    /// local subscribers are subscribed; messages from other nodes go to the local room.
    private static func connectNodes(chat: ChatService, client: any ValkeyClient, loop: EventLoop) {
        chat.crossNode = CrossNodeLink(
            publish: { room, payload in
                let channel = Keyspace.roomChannel(room)
                _ = client.assumeIsolated { client -> Bool in
                    var encoder = RESPEncoder(reservingCapacity: payload.count + 64)
                    client.appendPublish(channel, payload, to: &encoder)
                    return client.submit(encoder.take(), commands: 1, key: channel) { _ in }
                }
            },
            subscribe: { room in client.assumeIsolated { $0.subscribe(Keyspace.roomChannel(room)) } },
            unsubscribe: { room in client.assumeIsolated { $0.unsubscribe(Keyspace.roomChannel(room)) } })
        loop.execute {
            client.assumeIsolated { $0.setMessageHandler { _, payload in chat.receiveRemote(payload) } }
        }
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
            closeOperations()
            loop.shutdown()
            gateway.ioLoops.forEach { $0.shutdown() }
            return 0
        } catch {
            closeOperations()
            Log.error("node.gave_up", ["error": String(describing: error)])
            FileHandle.standardError.write(Data("chat-node: stopping: \(error)\n".utf8))
            return 1
        }
    }

    /// Stops the node: clients get 1001, the tree stops in reverse order.
    public func stop() async {
        await root.stop()
    }

    /// The TLS context of TLS_CERT and TLS_KEY, nil when TLS is off.
    static func loadTLS(_ configuration: NodeConfiguration) throws(TLSError) -> TLSContext? {
        guard let certificate = configuration.tlsCert, let key = configuration.tlsKey else { return nil }
        return try TLSContext(certificateChainFile: certificate, privateKeyFile: key)
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
