/// The Valkey layer: shard links over hiredis, routing, pub/sub, the keyspace, zstd payloads.
public enum ShardsModule {
    /// Number of shards in the default shard map of DESIGN.md.
    public static let defaultShardCount = 3
}
