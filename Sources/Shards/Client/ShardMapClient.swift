import Actors
import Gateway

/// `VALKEY_MODE=shards`: the shard map of `ShardRouter` over one command link and one
/// subscriber per shard, behind the calls of `ValkeyClient`.
///
/// ```
/// submit(batch, key: room:{1500}:msgs) ── ShardRouter ──▶ links[1]        (shard-2)
/// subscribe(room.{1500})               ── ShardRouter ──▶ subscribers[1]  SUBSCRIBE
/// publish(room.{1500}, payload)        ── ShardRouter ──▶ links[1]        PUBLISH
/// ```
///
/// A channel is published and subscribed on the shard of its room or user, so every node
/// meets every other node's publishes of a room on that room's shard. The links and
/// subscribers are the caller's to supervise (`/node/shards/shard-N/{link,subscriber}`):
/// this actor only routes, synchronously, on the loop they share.
public actor ShardMapClient: ValkeyClient {
    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    public nonisolated var pubSubMode: PubSubMode { .plain }
    /// The map from keys to shard indices.
    public nonisolated let router: ShardRouter
    /// One command link per shard, by index.
    public nonisolated let links: [ShardLink]
    /// One subscriber per shard, by index.
    public nonisolated let subscribers: [ShardSubscriber]
    var handler: ValkeyMessageHandler?

    /// A client over existing links and subscribers, one of each per shard of `router`, all
    /// on `loop` (programmer errors otherwise).
    public init(router: ShardRouter, links: [ShardLink], subscribers: [ShardSubscriber], loop: EventLoop) {
        precondition(links.count == router.shardCount && subscribers.count == router.shardCount,
                     "one link and one subscriber per shard")
        precondition(links.allSatisfy { $0.loop === loop } && subscribers.allSatisfy { $0.loop === loop },
                     "links and subscribers share the client's loop")
        self.loop = loop
        self.router = router
        self.links = links
        self.subscribers = subscribers
    }

    /// A client with a new link and subscriber per address, named `shard-1`, `shard-2`, ...
    /// in the order of `VALKEY_HOSTS`. Throws `.invalidShardCount` for an unusable count.
    public init(
        addresses: [ValkeyAddress], loop: EventLoop,
        link: ShardLinkConfiguration = .init(), subscriber: ShardSubscriberConfiguration = .init()
    ) throws(ShardsError) {
        let router = try ShardRouter(shardCount: addresses.count)
        let names = addresses.indices.map { "shard-\($0 + 1)" }
        self.init(
            router: router,
            links: zip(names, addresses).map { ShardLink(name: $0, host: $1.host, port: $1.port, loop: loop, configuration: link) },
            subscribers: zip(names, addresses).map {
                ShardSubscriber(name: $0, host: $1.host, port: $1.port, loop: loop, configuration: subscriber)
            },
            loop: loop)
    }

    public func submit(_ batch: [UInt8], commands: Int, key: [UInt8],
                       completion: sending @escaping (Result<[RESPValue], ShardLinkError>) -> Void) -> Bool {
        let link = links[router.shard(forKey: key)]
        return link.assumeIsolated { $0.submit(batch, commands: commands, completion: completion) }
    }

    public func subscribe(_ channel: [UInt8]) {
        subscribers[router.shard(forKey: channel)].assumeIsolated { $0.subscribe(channel) }
    }

    public func unsubscribe(_ channel: [UInt8]) {
        subscribers[router.shard(forKey: channel)].assumeIsolated { $0.unsubscribe(channel) }
    }

    public func setMessageHandler(_ handler: @escaping ValkeyMessageHandler) {
        self.handler = handler
        for subscriber in subscribers {
            subscriber.assumeIsolated { $0.setHandler { [weak self] channel, payload in self?.deliver(channel, payload) } }
        }
    }

    private nonisolated func deliver(_ channel: [UInt8], _ payload: [UInt8]) {
        assumeIsolated { $0.handler?(channel, payload) }
    }
}
