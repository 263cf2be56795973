/// The shard map of `VALKEY_MODE=shards`: which Valkey (by index in `VALKEY_HOSTS`) holds a key.
///
/// The default, with 3 shards, is the original plan's (DESIGN.md, "Valkey"):
///
/// ```
/// index 0 = shard-1   rooms 0-999     + its share of hashed rooms
/// index 1 = shard-2   rooms 1000-1999 + its share of hashed rooms
/// index 2 = shard-3   DMs, presence, sessions, users' room lists, node heartbeats
/// rooms >= 2000       jump consistent hash of the room id over the room shards [0, 1]
/// ```
///
/// With N shards in general:
/// - N = 1: everything on shard 0.
/// - N = 2: both shards carry rooms (0-999 on 0, 1000-1999 on 1, the rest hashed over
///   both); the last shard (1) also carries DMs and the user keys.
/// - N >= 3: index 2 (shard-3) is the user shard and carries no rooms; the room shards are
///   every other index in order: `[0, 1, 3, 4, ..., N-1]`. The two fixed ranges stay on
///   indices 0 and 1, and further shards only join the hashed pool.
///
/// Why index 2 and not "the last shard": growing from N to N+1 shards (N >= 3) then moves
/// no DM or user key at all, and jump consistent hash (Lamping & Veach 2014) moves only
/// about 1/(room shards) of the hashed rooms, all of them onto the new shard, because the
/// new shard is appended as the last bucket. Growing from 2 to 3 moves only the user keys.
///
/// Room ids are mixed with SplitMix64 before jumping, so consecutive ids spread evenly.
/// Both functions are fixed forever: changing either moves rooms between shards.
public struct ShardRouter: Sendable, Hashable {
    /// Number of shards (Valkey servers) in the map.
    public let shardCount: Int
    /// Indices of the shards that carry rooms, in bucket order (the hashed pool).
    public let roomShards: [Int]
    /// Index of the shard that carries DMs, presence, sessions, user keys and heartbeats.
    public let userShard: Int

    /// Rooms in each of the two fixed ranges (`0..<1000`, `1000..<2000`).
    public static let fixedRangeSize: UInt32 = 1000

    /// Most shards a map may have (far more than one machine's worth; bounds the tables).
    public static let maximumShardCount = 1024

    /// The map for `shardCount` shards (3 by default). Throws `.invalidShardCount` outside
    /// `1...maximumShardCount`.
    public init(shardCount: Int = ShardsModule.defaultShardCount) throws(ShardsError) {
        guard shardCount >= 1, shardCount <= Self.maximumShardCount else { throw .invalidShardCount(shardCount) }
        self.shardCount = shardCount
        switch shardCount {
        case 1:
            roomShards = [0]
            userShard = 0
        case 2:
            roomShards = [0, 1]
            userShard = 1
        default:
            roomShards = (0..<shardCount).filter { $0 != 2 }
            userShard = 2
        }
    }

    /// The shard of a room's keys (`room:{R}:*`, `typing:{R}:*`) and channel (`room.{R}`).
    public func shard(forRoom room: UInt32) -> Int {
        let range = room / Self.fixedRangeSize
        if range < 2 {
            // roomShards is never empty; with one room shard both ranges share it.
            return roomShards[min(Int(range), roomShards.count - 1)]
        }
        let bucket = Self.jumpConsistentHash(key: Self.mix(UInt64(room)), buckets: Int32(roomShards.count))
        return roomShards[Int(bucket)]
    }

    /// The shard of the DM history between two users (`dm:{A:B}:msgs`), whatever the order.
    public func shard(forDirectMessagesBetween first: UInt32, and second: UInt32) -> Int { userShard }

    /// The shard of a user's keys (`sess:{U}`, `user:{U}:rooms`) and channel (`user.{U}`):
    /// sessions are presence.
    public func shard(forUser user: UInt32) -> Int { userShard }

    /// The shard of node heartbeats (`node:<N>`), read together with sessions for presence.
    public func shardForNodeHeartbeats() -> Int { userShard }

    /// The shard of any kind of key, in one switch (for code that routes generically).
    public func shard(for key: ShardKey) -> Int {
        switch key {
        case .room(let room): return shard(forRoom: room)
        case .directMessages(let first, let second): return shard(forDirectMessagesBetween: first, and: second)
        case .user(let user): return shard(forUser: user)
        case .nodeHeartbeat: return shardForNodeHeartbeats()
        }
    }

    /// Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash
    /// Algorithm", 2014): a bucket in `0..<buckets` such that going from n to n+1 buckets
    /// moves only about 1/(n+1) of the keys, all into the new bucket.
    public static func jumpConsistentHash(key: UInt64, buckets: Int32) -> Int32 {
        precondition(buckets > 0, "jump consistent hash needs at least one bucket")
        var key = key
        var bucket: Int64 = -1
        var next: Int64 = 0
        while next < Int64(buckets) {
            bucket = next
            key = key &* 2_862_933_555_777_941_757 &+ 1
            // (key >> 33) + 1 is in 1...2^31, so the quotient is in 1...2^31 and the product
            // below (bucket + 1 <= 2^31) stays under 2^62: the conversion cannot overflow.
            next = Int64(Double(bucket + 1) * (Double(UInt64(1) << 31) / Double((key >> 33) + 1)))
        }
        return Int32(truncatingIfNeeded: bucket)
    }

    /// SplitMix64's finaliser: a fixed, well-spread 64-bit mix of a room id.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What a key belongs to, for routing: the kinds of DESIGN.md's keyspace table.
public enum ShardKey: Sendable, Hashable {
    /// A room's keys and channel.
    case room(UInt32)
    /// The DM history between two users (in either order).
    case directMessages(UInt32, UInt32)
    /// A user's session (presence), room list and channel.
    case user(UInt32)
    /// Node heartbeats.
    case nodeHeartbeat
}
