/// Routing by key name: the shard of any key or channel of the keyspace, read back from
/// its prefix and hash tag, so that callers can route a batch by one of its keys whatever
/// the mode (the cluster routes the same bytes by slot).
///
/// ```
/// room:{R}:...  typing:{R}:...  room.{R}   -> .room(R)
/// sess:{U}      user:{U}:...    user.{U}   -> .user(U)
/// dm:{A:B}:msgs                            -> .directMessages(A, B)
/// node:<N>                                 -> .nodeHeartbeat
/// ```
extension ShardKey {
    /// What a key or channel name belongs to; nil for a name outside the keyspace (never a trap).
    public init?(key: [UInt8]) {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else {
            guard key.starts(with: "node:".utf8) else { return nil }
            self = .nodeHeartbeat
            return
        }
        let tagStart = open + 1
        guard let close = key[tagStart...].firstIndex(of: UInt8(ascii: "}")) else { return nil }
        let prefix = key[..<open], tag = key[tagStart..<close]
        if prefix.elementsEqual("room:".utf8) || prefix.elementsEqual("typing:".utf8) || prefix.elementsEqual("room.".utf8) {
            guard let room = ASCIIDecimal.parseUInt32(tag) else { return nil }
            self = .room(room)
        } else if prefix.elementsEqual("sess:".utf8) || prefix.elementsEqual("user:".utf8) || prefix.elementsEqual("user.".utf8) {
            guard let user = ASCIIDecimal.parseUInt32(tag) else { return nil }
            self = .user(user)
        } else if prefix.elementsEqual("dm:".utf8) {
            guard let colon = tag.firstIndex(of: UInt8(ascii: ":")),
                  let first = ASCIIDecimal.parseUInt32(tag[..<colon]),
                  let second = ASCIIDecimal.parseUInt32(tag[(colon + 1)...])
            else { return nil }
            self = .directMessages(first, second)
        } else {
            return nil
        }
    }
}

extension ShardRouter {
    /// The shard of a key or channel name of the keyspace (`ShardKey(key:)`). A name outside
    /// the keyspace goes to the shard of its cluster slot modulo the shard count: stable,
    /// and spread, though with no meaning of its own.
    public func shard(forKey key: [UInt8]) -> Int {
        if let shardKey = ShardKey(key: key) { return shard(for: shardKey) }
        return HashSlot.slot(forKey: key) % shardCount
    }
}
