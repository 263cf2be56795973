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
/// ├── /node/shards (oneForOne, backoff 100 ms → 5 s)
/// │   └── /node/shards/shard-N (oneForOne) ── link
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
    /// The shard links (empty with the memory store).
    public let links: [ShardLink]

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
        // First, so that a second node on the same socket stops here with a clear message.
        let listener = try ControlListener(path: configuration.controlSocket)
        let controlLoop: EventLoop
        do {
            controlLoop = try EventLoop.start(name: "control-loop")
        } catch {
            listener.close()
            throw error
        }
        do {
            loop = try EventLoop.start(name: "gateway-loop-0")
        } catch {
            listener.close()
            controlLoop.shutdown()
            throw error
        }
        let secret = configuration.jwtSecret.map { Array($0.utf8) } ?? (0..<32).map { _ in UInt8.random(in: 0...255) }
        registry = ActorRegistry()
        let loop = self.loop
        links = configuration.store == .valkey
            ? configuration.valkeyHosts.enumerated().map { index, address in
                ShardLink(name: "shard-\(index + 1)", host: address.host, port: address.port, loop: loop)
            }
            : []
        var chatConfiguration = ChatServiceConfiguration()
        chatConfiguration.nodeID = UInt16(configuration.nodeID ?? 0)
        chatConfiguration.maxTextBytes = configuration.maxTextBytes
        chatConfiguration.rateLimitPerMinute = configuration.rateLimit
        let storeConfiguration = ChatStoreConfiguration(historyMax: configuration.historyMax, historyTTLSeconds: configuration.historyTTL)
        let store = Self.makeStore(configuration, storeConfiguration, links: links)
        chat = ChatService(configuration: chatConfiguration, store: store, loop: loop)
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
        gateway = Gateway(loop: loop, configuration: gatewayConfiguration, application: application)
        control = Self.controlServer(
            listener: listener, loop: controlLoop, configuration: configuration, registry: registry, gateway: gateway,
            chat: chat, operations: operations)
        let control = self.control
        root = Self.tree(registry: registry, links: links, gateway: gateway, chat: chat, loop: loop, extraChildren: [
            ChildSpec(id: "control", shutdown: .timeout(.seconds(2))) { context in await control.run(context) },
        ])
    }

    private static func tree(registry: ActorRegistry, links: [ShardLink], gateway: Gateway, chat: ChatService,
                             loop: EventLoop, extraChildren: [ChildSpec]) -> Supervisor {
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

    /// The store the configuration asks for.
    private static func makeStore(_ configuration: NodeConfiguration, _ storeConfiguration: ChatStoreConfiguration,
                                  links: [ShardLink]) -> ChatStore {
        MemoryChatStore(configuration: storeConfiguration, now: WallClock.nowMs)
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
            closeOperations()
            loop.shutdown()
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
