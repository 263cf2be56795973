import Shards

// MARK: - Read positions

/// Read positions are kept in a hash (`room:{R}:reads`, `dm:{A:B}:reads`: user -> decimal
/// id) and raised by a short Lua script, atomically on the server.
///
/// Why a script: HGET then HSET from the node is racy between nodes (two raise it at once,
/// the smaller may land last), and a sorted set with `ZADD GT` would compare doubles, which
/// are exact only to 2^53 while ids are 64-bit. Lua numbers are doubles too, so the script
/// compares the canonical decimal texts instead: a longer text is a larger number, and
/// texts of one length compare byte by byte (not with `<` on strings, which follows the
/// server's collation locale). The script is sent with `EVAL` each time (about 400 bytes):
/// no `NOSCRIPT` after a shard restarts empty, and reads are LOW-priority, rare events.
extension ValkeyChatStore {
    /// KEYS[1] = reads hash, ARGV[1] = user id, ARGV[2] = message id (canonical decimal).
    /// Returns 1 when the position moved, 0 when it stayed.
    static let raiseReadScript = """
        local function greater(a, b)
          if #a ~= #b then return #a > #b end
          for i = 1, #a do
            local x, y = string.byte(a, i), string.byte(b, i)
            if x ~= y then return x > y end
          end
          return false
        end
        local current = redis.call('HGET', KEYS[1], ARGV[1])
        if current and not greater(ARGV[2], current) then return 0 end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        return 1
        """

    public func setRead(_ chat: ChatKey, user: UInt32, id: UInt64, completion: @escaping Completion<Void>) {
        let keys = ValkeyChatKeys(chat)
        var encoder = RESPEncoder(reservingCapacity: Self.raiseReadScript.utf8.count + 96)
        encoder.command("EVAL", Self.raiseReadScript, 1, keys.reads, user, id)
        send(keys.route, encoder, count: 1, completion: completion) { replies throws(StoreError) in
            _ = try replies[0].storeInteger("EVAL")
        }
    }

    public func readPosition(_ chat: ChatKey, user: UInt32, completion: @escaping Completion<UInt64>) {
        let keys = ValkeyChatKeys(chat)
        var encoder = RESPEncoder(reservingCapacity: 80)
        encoder.command("HGET", keys.reads, user)
        send(keys.route, encoder, count: 1, completion: completion) { replies throws(StoreError) in
            switch replies[0] {
            case .null:
                return 0
            case .bulkString(let bytes):
                guard let id = StoredDecimal.parse(bytes) else { throw .corrupt("read position of user \(user) is not an id") }
                return id
            default:
                throw .corrupt("HGET answered \(replies[0])")
            }
        }
    }
}
