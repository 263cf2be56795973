@preconcurrency import Glibc
import Actors
import Dispatch
import Foundation
import Gateway
import Rooms
import Shards

/// Builds the node's supervision tree from its configuration and runs it.
///
/// ```
/// /node (oneForOne)
/// ├── /node/shards (oneForOne, backoff 100 ms → 5 s)
/// │   └── /node/shards/shard-N (oneForOne) ── link
/// └── /node/gateway
/// ```
public enum Node {
    /// Runs until SIGTERM/SIGINT (exit code 0) or until the root supervisor gives up (1);
    /// refuses to start (2, like an invalid setting) when TLS_CERT/TLS_KEY cannot be loaded.
    public static func run(configuration: NodeConfiguration) async -> Int32 {
        Log.currentLevel = configuration.logLevel
        let tls: TLSContext?
        do { tls = try loadTLS(configuration) } catch {
            Log.error("node.tls_failed", ["error": error.description])
            FileHandle.standardError.write(Data("chat-node: invalid configuration:\nTLS_CERT/TLS_KEY: \(error)\n".utf8))
            return 2
        }
        let loop: EventLoop
        do { loop = try EventLoop.start(name: "gateway-loop-0") } catch {
            Log.error("node.start_failed", ["error": error.description])
            return 1
        }
        let secret = configuration.jwtSecret.map { Array($0.utf8) } ?? (0..<32).map { _ in UInt8.random(in: 0...255) }
        let registry = ActorRegistry()
        let links: [ShardLink] = configuration.store == .valkey
            ? configuration.valkeyHosts.enumerated().map { index, address in
                ShardLink(name: "shard-\(index + 1)", host: address.host, port: address.port, loop: loop)
            }
            : []
        let health = NodeHealth()
        let application = NodeHTTPApplication(configuration: configuration, secret: secret, links: links, health: health)
        var gatewayConfiguration = GatewayConfiguration()
        gatewayConfiguration.host = configuration.host
        gatewayConfiguration.port = configuration.port
        gatewayConfiguration.maxConnections = configuration.maxConnections
        gatewayConfiguration.maxMessageBytes = configuration.maxMessageBytes
        if !configuration.deflate { gatewayConfiguration.deflate = nil }
        gatewayConfiguration.tls = tls
        let gateway = Gateway(loop: loop, configuration: gatewayConfiguration, application: application)

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
        let root = Supervisor(
            path: .node, strategy: .oneForOne, registry: registry,
            children: [
                .supervisor(shards),
                ChildSpec(id: "gateway", shutdown: .timeout(.seconds(10))) { _ in try await gateway.run() },
            ])

        loop.execute {
            loop.scheduleRepeating(every: .seconds(1)) {
                health.shardsUp = links.filter { link in link.assumeIsolated { $0.isConnected } }.count
            }
        }
        let signals = installSignalHandlers { Task { await root.stop() } }
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
