// MARK: - Links for metrics (on the loop)

extension ClusterClient {
    /// The command link of every master met so far, in the order they were met (named by
    /// address): `/metrics` and `stats` show their counters like the shard map's links.
    public var commandLinks: [ShardLink] { nodeLinks }
}
