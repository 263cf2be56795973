/// Sends batches of commands to the shard that holds their keys, by the shard map of
/// `VALKEY_MODE=shards`: the submit function a store takes, for the shard map.
///
/// ```
/// store ── submit(route, bytes, count, completion) ──▶ router.shard(for: route) = i
///                                                      links[i].submit(bytes, commands: count)
/// ```
///
/// Loop-bound, like the links it calls: every link runs on the same event loop and
/// `submit` is called on that loop's thread, so it enters a link synchronously
/// (`assumeIsolated`: no job, no hop). A Valkey Cluster client will offer the same
/// function shape, so stores do not know which of the two they talk to.
public final class ShardMapSubmitter {
    /// The shard map.
    public let router: ShardRouter
    /// One link per shard, in the map's order (`links[i]` is shard `i + 1`).
    public let links: [ShardLink]

    /// A submitter over `links`, which must number `router.shardCount` and share one loop
    /// (both are wiring mistakes, checked with `precondition`).
    public init(router: ShardRouter, links: [ShardLink]) {
        precondition(links.count == router.shardCount, "one link per shard of the map")
        precondition(links.allSatisfy { $0.loop === links.first?.loop }, "all links on one event loop")
        self.router = router
        self.links = links
    }

    /// Queues a batch of `count` encoded commands on the shard of `route`; `completion` gets
    /// their replies in order, on the loop, exactly once. A full outbox refuses the batch
    /// whole and `completion` gets `.outboxFull` before this returns. Call on the loop.
    public func submit(_ route: ShardKey, _ bytes: [UInt8], _ count: Int,
                       _ completion: @escaping (Result<[RESPValue], ShardLinkError>) -> Void) {
        let link = links[router.shard(for: route)]
        // Region checking sees the completion cross into the link's isolation; it does not:
        // the link's executor is this loop, whose thread we are on (`assumeIsolated` checks
        // it), and the link calls the completion on this same thread.
        nonisolated(unsafe) let completion = completion
        let accepted = link.assumeIsolated { link in
            link.submit(bytes, commands: count, completion: completion)
        }
        if !accepted { completion(.failure(.outboxFull)) }
    }
}
