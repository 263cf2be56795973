import COpenSSL
import Shards

// MARK: - Room messages: store and publish in one step

/// A room message is stored and published by one Lua script, atomically on the server that
/// holds the room's keys and its channel (they share the `{R}` hash tag):
///
/// ```
/// ZRANGEBYLEX msgs [id8 (id8\xFF  a member with this id (a resend, -> {3}  nothing else
///                                maybe of an edited message)
/// ZADD msgs 0 <id8+payload>
/// ZREVRANK msgs <member>         not 0 (not the newest)       -> ZREM, {0, newest id8}
/// ZREMRANGEBYRANK / EXPIRE / SET epoch NX EX / EXPIRE            as `append`
/// PUBLISH|SPUBLISH channel payload                             -> {1, reached}
/// ```
///
/// Members sort by their first 8 bytes, the big-endian id (every score is 0), so "rank 0
/// from the top" means "the newest id". Because a message is stored and published only as
/// the newest, and the publish happens inside the same step, the room's channel
/// carries its messages in id order: every node delivering in channel order delivers in
/// id order (docs/architecture.md, "Id order across nodes").
///
/// Only messages of rooms shared with other nodes come here (a room of one node keeps the
/// cheaper `append` batch and a plain publish after it). The script goes as `EVALSHA`; a server that does not know it (restarted, flushed)
/// answers `NOSCRIPT` and the batch is sent again as `EVAL`.
extension ValkeyChatStore {
    /// KEYS: msgs, epoch, channel. ARGV: member, historyMax, ttl, new epoch, publish
    /// command, payload.
    static let appendRoomScript = """
        local id8 = string.sub(ARGV[1], 1, 8)
        if #redis.call('ZRANGEBYLEX', KEYS[1], '[' .. id8, '(' .. id8 .. '\\255', 'LIMIT', 0, 1) > 0 then return {3} end
        redis.call('ZADD', KEYS[1], 0, ARGV[1])
        if redis.call('ZREVRANK', KEYS[1], ARGV[1]) ~= 0 then
          redis.call('ZREM', KEYS[1], ARGV[1])
          local newest = redis.call('ZRANGE', KEYS[1], -1, -1)[1]
          return {0, string.sub(newest, 1, 8)}
        end
        redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        redis.call('SET', KEYS[2], ARGV[4], 'NX', 'EX', ARGV[3])
        redis.call('EXPIRE', KEYS[2], ARGV[3])
        return {1, redis.call(ARGV[5], KEYS[3], ARGV[6])}
        """

    /// The script's SHA-1, in lowercase hex (what `EVALSHA` names it by).
    static let appendRoomScriptSHA: String = {
        let script = Array(appendRoomScript.utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        script.withUnsafeBufferPointer { source in
            digest.withUnsafeMutableBufferPointer { output in _ = SHA1(source.baseAddress, source.count, output.baseAddress) }
        }
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0F)]] }, as: UTF8.self)
    }()

    public var publishesWithAppend: Bool { true }

    public func appendRoomMessage(_ message: StoredMessage, room: UInt32, publication: RoomPublication,
                                  completion: @escaping Completion<RoomAppendOutcome>) {
        let member: [UInt8]
        do throws(StoreError) {
            member = try HistoryMember.encode(message, codec: codec)
        } catch {
            return completion(.failure(error))
        }
        runAppendScript(member, room: room, publication: publication, byHash: true, completion: completion)
    }

    private func runAppendScript(_ member: [UInt8], room: UInt32, publication: RoomPublication, byHash: Bool,
                                 completion: @escaping Completion<RoomAppendOutcome>) {
        let keys = ValkeyChatKeys(.room(room))
        var encoder = RESPEncoder(
            reservingCapacity: member.count + publication.payload.count + (byHash ? 0 : Self.appendRoomScript.utf8.count) + 256)
        encoder.command(byHash ? "EVALSHA" : "EVAL", byHash ? Self.appendRoomScriptSHA : Self.appendRoomScript, 3,
                        keys.messages, keys.epoch, publication.channel, member, max(0, configuration.historyMax), ttlSeconds,
                        newEpoch(), publication.command, publication.payload)
        send(keys.route, encoder, count: 1, completion: { [self] (result: Result<RoomAppendOutcome, StoreError>) in
            if byHash, case .failure(.unavailable(let why)) = result, why.hasPrefix("Valkey: NOSCRIPT") {
                return runAppendScript(member, room: room, publication: publication, byHash: false, completion: completion)
            }
            completion(result)
        }) { replies throws(StoreError) in
            try Self.appendOutcome(replies[0])
        }
    }

    /// Reads the script's reply: `{1, reached}`, `{3}` or `{0, newest id8}`.
    static func appendOutcome(_ reply: RESPValue) throws(StoreError) -> RoomAppendOutcome {
        let elements = try reply.storeArray("EVALSHA")
        guard let first = elements.first else { throw .corrupt("the append script answered an empty array") }
        let status = try first.storeInteger("EVALSHA")
        let second = elements.count > 1 ? elements[1] : nil
        switch (status, second) {
        case (1, .integer(let reached)?): return .stored(reached: Int(clamping: reached))
        case (3, _): return .duplicate
        case (0, .bulkString(let newest)?) where newest.count == 8:
            return .refused(newest: newest.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        default: throw .corrupt("the append script answered \(reply)")
        }
    }
}
