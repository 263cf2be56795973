@preconcurrency import Glibc
import Actors
import Dispatch
import Foundation
import Gateway
import Rooms
import Shards
import Synchronization

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
    /// This node's NODE_ID held in Valkey (nil with the memory store).
    public let identity: NodeIdentity?
    /// The load monitor (measures the level; operators pin through `degradation`).
    public let loadMonitor: LoadMonitor

    // MARK: Operations (issue 7): control socket, metrics, health, drain, levels
    /// What operators watch and steer: degradation level, sampler, drain flag.
    public let operations: NodeOperations
    /// The control socket server (`/node/control`), on its own loop.
    public let control: ControlServer
    /// The degradation level (the load monitor sets it, operators pin it).
    public var degradation: DegradationControl { operations.degradation }
    /// Store batches sent to Valkey and not yet answered (a drain waits for them).
    public let storeWrites: StoreWritesInFlight
    /// The drain sequence of SIGTERM and the control socket's `drain`.
    let drainSequence: NodeDrain

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
        chatConfiguration.presenceRefreshMs = Int64(configuration.presenceRefreshSeconds) * 1000
        let storeConfiguration = ChatStoreConfiguration(historyMax: configuration.historyMax, historyTTLSeconds: configuration.historyTTL)
        let storeWrites = StoreWritesInFlight()
        self.storeWrites = storeWrites
        let store = Self.makeStore(storeConfiguration, client: valkey, writes: storeWrites)
        chat = ChatService(configuration: chatConfiguration, store: store, loop: loop)
        let service = chat
        identity = valkey.map { Self.connectNodes(chat: service, client: $0, loop: loop, configuredID: configuration.nodeID) }
        operations = NodeOperations(
            registry: registry, chat: chat, links: links, cluster: valkey as? ClusterClient, degradation: DegradationControl(),
            memoryLimitBytes: configuration.memoryLimitMB << 20)
        let application = NodeHTTPApplication(
            configuration: configuration, secret: secret, links: links, chat: chat, operations: operations)
        var gatewayConfiguration = GatewayConfiguration()
        gatewayConfiguration.host = configuration.host
        gatewayConfiguration.port = configuration.port
        // Room above MAX_CONNECTIONS for upgrades waiting in the admission queue and plain HTTP.
        gatewayConfiguration.maxConnections = configuration.maxConnections + configuration.admissionQueue + 64
        gatewayConfiguration.maxMessageBytes = configuration.maxMessageBytes
        if !configuration.deflate { gatewayConfiguration.deflate = nil }
        gatewayConfiguration.tls = tls
        gateway = try Gateway(loop: loop, ioLoops: ioLoops, configuration: gatewayConfiguration, application: application)
        let gateway = self.gateway
        drainSequence = NodeDrain(gateway: gateway, operations: operations, writes: storeWrites, chat: chat)
        let chat = self.chat
        let maxConnections = configuration.maxConnections
        let degradation = operations.degradation
        let admission = Self.admissionControl(configuration, chat: chat, operations: operations)
        application.admission = admission
        loadMonitor = LoadMonitor(
            sampler: ProcessLoadSampler(memoryLimitMB: configuration.memoryLimitMB, loops: configuration.gatewayLoops),
            interval: .seconds(configuration.loadSampleSeconds),
            recovery: (Double(configuration.loadRecoverySeconds), Double(configuration.loadStepSeconds)),
            connections: { (gateway.counters.open.load(ordering: .relaxed), maxConnections) },
            apply: { level in degradation.setMeasured(level) })
        // The level in force (measured, or pinned by an operator) reaches the chat service.
        degradation.onChange { level in loop.execute { chat.setLevel(level); admission.poll() } }
        control = Self.controlServer(
            listener: listener, loop: controlLoop, configuration: configuration, registry: registry, gateway: gateway,
            chat: chat, operations: operations, drain: drainSequence)
        let control = self.control
        root = Self.tree(registry: registry, shards: shardsSupervisor, gateway: gateway, identity: identity, chat: chat, loop: loop,
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

    private static func tree(registry: ActorRegistry, shards: Supervisor, gateway: Gateway, identity: NodeIdentity?, chat: ChatService,
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
                ChildSpec(id: "gateway", shutdown: .timeout(.seconds(10))) { _ in
                    // Clients are served once the node id is held (NodeIdentity); the heartbeat
                    // key goes when the gateway stops (after its clients were closed).
                    _ = try await identity?.established()
                    try await gateway.run()
                    await identity?.release()
                },
            ] + extraChildren)
    }

    // MARK: Operations wiring (issue 7)

    /// The control server on a loop of its own, with the 1 s sampler on that loop.
    private static func controlServer(listener: ControlListener, loop controlLoop: EventLoop, configuration: NodeConfiguration,
                                      registry: ActorRegistry, gateway: Gateway, chat: ChatService,
                                      operations: NodeOperations, drain: NodeDrain) -> ControlServer {
        operations.attach(gateway.counters)
        var settings = ControlServerConfiguration()
        settings.token = configuration.controlToken
        settings.maxTextBytes = configuration.maxTextBytes
        let commands = ControlCommands(registry: registry, gateway: gateway, chat: chat, operations: operations, drain: drain)
        let sampler = operations.sampler
        controlLoop.execute {
            sampler.tick()
            controlLoop.scheduleRepeating(every: .seconds(1)) { sampler.tick() }
        }
        return ControlServer(loop: controlLoop, listener: listener, configuration: settings, commands: commands)
    }

    /// Drains (`NodeDrain`): `/health` and WebSocket upgrades answer 503, chat frames are no
    /// longer taken, store writes in flight are answered (their acks sent), then open
    /// WebSockets are closed with 1001 after their pending output. HTTP keeps being served and
    /// the node keeps running. Returns the number of WebSockets closed.
    @discardableResult
    public func drain() async -> Int {
        await drainSequence.run().closed
    }

    /// Closes the control socket (removing its file) and stops its loop.
    private func closeOperations() {
        control.listener.close()
        control.loop.shutdown()
    }

    /// Other nodes: the chat service publishes and subscribes through `client`
    /// (CrossNodeLink), messages from other nodes go to the service, and the node id is
    /// held in Valkey (NodeIdentity).
    private static func connectNodes(chat: ChatService, client: any ValkeyClient, loop: EventLoop,
                                     configuredID: Int?) -> NodeIdentity {
        let submit: @Sendable ([UInt8], Int, [UInt8], @escaping CrossNodeLink.Completion) -> Void = { batch, count, key, completion in
            // The completion runs on this loop's thread, where the caller is (see ValkeySubmitter).
            nonisolated(unsafe) let completion = completion
            let queued = client.assumeIsolated { $0.submit(batch, commands: count, key: key, completion: completion) }
            if !queued { completion(.failure(.outboxFull)) }
        }
        let link = CrossNodeLink(
            publish: { channel, payload, completion in
                var encoder = RESPEncoder(reservingCapacity: payload.count + 64)
                client.appendPublish(channel, payload, to: &encoder)
                submit(encoder.take(), 1, channel) { result in completion?(result) }
            },
            subscribe: { channel in client.assumeIsolated { $0.subscribe(channel) } },
            unsubscribe: { channel in client.assumeIsolated { $0.unsubscribe(channel) } },
            submit: submit,
            publishCommand: client.pubSubMode.publishCommand)
        loop.execute {
            chat.attachCrossNode(link)
            client.assumeIsolated { $0.setMessageHandler { _, payload in chat.receiveRemote(payload) } }
        }
        return NodeIdentity(
            client: client, loop: loop, instance: chat.instance, configured: configuredID.map { UInt16(clamping: $0) },
            onClaimed: { id in chat.setNodeID(id) }, onRecreated: { chat.republishPresence() })
    }

    /// The store: Valkey through `client`, or memory when there is none.
    /// Batches are counted in `writes` from submit to answer, for the drain.
    private static func makeStore(_ storeConfiguration: ChatStoreConfiguration, client: (any ValkeyClient)?,
                                  writes: StoreWritesInFlight) -> ChatStore {
        guard let client else { return MemoryChatStore(configuration: storeConfiguration, now: WallClock.nowMs) }
        let submitter = ValkeySubmitter(client: client)
        return ValkeyChatStore(configuration: storeConfiguration, submit: { route, bytes, count, completion in
            writes.started()
            submitter.submit(route, bytes, count) { result in
                writes.finished()
                completion(result)
            }
        }, now: WallClock.nowMs)
    }

    /// Runs until `stop()`, SIGTERM/SIGINT (exit code 0) or until the root supervisor gives
    /// up (1). A signal drains first (`NodeDrain`, at most about 7 s), then stops the tree; a
    /// watchdog ends the process if that has not happened `shutdownLimit` after the signal.
    public func run(handleSignals: Bool = true) async -> Int32 {
        let root = self.root
        if valkey != nil {
            // The cluster client adds its links under /node/shards, and the node id is
            // claimed through the links: both once that supervisor runs.
            let shards = shardsSupervisor
            let loop = self.loop
            let cluster = valkey as? ClusterClient
            let identity = self.identity
            Task {
                while !(await shards.isRunning) { try? await Task.sleep(for: .milliseconds(10)) }
                loop.execute {
                    cluster?.assumeIsolated { $0.start() }
                    identity?.start()
                }
            }
        }
        let drain = drainSequence
        let signalled = Atomic<Bool>(false)
        let signals = handleSignals ? Self.installSignalHandlers {
            guard !signalled.exchange(true, ordering: .relaxed) else { return }
            Self.startShutdownWatchdog()
            Task {
                await drain.run()
                await root.stop()
            }
        } : []
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
            if let failure = await identity?.failureReason {
                FileHandle.standardError.write(Data("chat-node: cannot start: \(failure)\n".utf8))
                return 2
            }
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

    /// How long after SIGTERM the process may take to exit (Docker's default grace is 10 s).
    static let shutdownLimit: Duration = .milliseconds(9_500)

    /// Ends the process if the drain and the stop of the tree have not within `shutdownLimit`.
    private static func startShutdownWatchdog() {
        let (seconds, attoseconds) = shutdownLimit.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) {
            Log.error("node.shutdown_timeout", ["limit_ms": String(nanoseconds / 1_000_000)])
            _exit(1)
        }
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
