import Gateway

extension ShardKey {
    /// A key of this route's keyspace, whose shard (shard map) and slot (cluster: the
    /// hash tag) are those of every key the route covers.
    public var representativeKey: [UInt8] {
        switch self {
        case .room(let room): return Keyspace.roomMessages(room)
        case .directMessages(let a, let b): return Keyspace.directMessages(a, b)
        case .user(let user): return Keyspace.userRooms(user)
        case .nodeHeartbeat: return Keyspace.nodeHeartbeat("0")
        }
    }
}

/// Sends batches routed by `ShardKey` through a `ValkeyClient` (the shard map or a Valkey
/// Cluster): the submit function of `ValkeyChatStore`. Loop-bound: call on the client's loop.
public final class ValkeySubmitter {
    private let client: any ValkeyClient

    /// An adapter over `client`.
    public init(client: any ValkeyClient) {
        self.client = client
    }

    /// The shard map over `links` (all on one loop), with subscriber links made from the
    /// links' addresses but not started: for stores that only write.
    public static func shardMap(router: ShardRouter, links: [ShardLink]) -> ValkeySubmitter {
        let subscribers = links.map { ShardSubscriber(name: $0.name, host: $0.host, port: $0.port, loop: $0.loop) }
        let loop = links.first?.loop ?? subscribers.first?.loop
        guard let loop else { preconditionFailure("a shard map needs at least one link") }
        return ValkeySubmitter(client: ShardMapClient(router: router, links: links, subscribers: subscribers, loop: loop))
    }

    /// Queues a batch of `count` encoded commands for `route`; `completion` gets their
    /// replies in order, on the loop, exactly once. A refused batch (full outbox) completes
    /// with `.outboxFull` before this returns.
    public func submit(_ route: ShardKey, _ bytes: [UInt8], _ count: Int,
                       _ completion: @escaping (Result<[RESPValue], ShardLinkError>) -> Void) {
        // Region checking sees the completion cross into the client's isolation; it does not:
        // the client's executor is this loop, whose thread we are on (`assumeIsolated`
        // checks it), and the completion is called on this same thread.
        nonisolated(unsafe) let completion = completion
        let key = route.representativeKey
        let accepted = client.assumeIsolated { client in
            client.submit(bytes, commands: count, key: key, completion: completion)
        }
        if !accepted { completion(.failure(.outboxFull)) }
    }
}
