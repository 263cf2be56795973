import Shards

// MARK: - History

extension ValkeyChatStore {
    /// One batch: the member, the trim and, at most every `renewIntervalMs` per
    /// conversation (a tenth of the TTL, at most a minute), the TTL and the epoch created
    /// if missing and renewed with the history:
    ///
    /// ```
    /// ZADD            msgs 0 <id8+payload>
    /// ZREMRANGEBYRANK msgs 0 -(historyMax+1)
    /// EXPIRE          msgs ttl                  \
    /// SET             epoch <new> NX EX ttl      > first append, then once per interval
    /// EXPIRE          epoch ttl                 /
    /// ```
    ///
    /// All are idempotent, so the outbox may send the batch again after a reconnect. A
    /// history therefore expires `HISTORY_TTL` after its last renewal, up to one interval
    /// earlier than after its last message; a shard that restarted empty has the epoch
    /// back at the next renewal or at the first `epoch` call (a join), whichever is first.
    public func append(_ message: StoredMessage, to chat: ChatKey, completion: @escaping Completion<Void>) {
        let keys = ValkeyChatKeys(chat)
        let member: [UInt8]
        do throws(StoreError) {
            member = try HistoryMember.encode(message, codec: codec)
        } catch {
            return completion(.failure(error))
        }
        let messagesKey = keys.messages, epochKey = keys.epoch
        let nowMs = now()
        let renew = renewals.isDue(chat, nowMs: nowMs, intervalMs: renewIntervalMs)
        var encoder = RESPEncoder(reservingCapacity: member.count + 3 * messagesKey.count + 2 * epochKey.count + 160)
        encoder.command("ZADD", messagesKey, 0, member)
        encoder.command("ZREMRANGEBYRANK", messagesKey, 0, -(max(0, configuration.historyMax) + 1))
        if renew {
            encoder.command("EXPIRE", messagesKey, ttlSeconds)
            encoder.command("SET", epochKey, newEpoch(), "NX", "EX", ttlSeconds)
            encoder.command("EXPIRE", epochKey, ttlSeconds)
        }
        send(keys.route, encoder, count: renew ? 5 : 2, completion: { [self] (result: Result<Void, StoreError>) in
            if renew, case .failure = result { renewals.forget(chat) }  // renew with the next append
            completion(result)
        }) { replies throws(StoreError) in
            _ = try replies[0].storeInteger("ZADD")
            _ = try replies[1].storeInteger("ZREMRANGEBYRANK")
            guard renew else { return }
            _ = try replies[2].storeInteger("EXPIRE")
            try replies[3].storeStatusOrNull("SET")
            _ = try replies[4].storeInteger("EXPIRE")
        }
    }

    /// How often a conversation's TTLs and epoch are renewed by appends: a tenth of the
    /// TTL, at most a minute.
    var renewIntervalMs: Int64 { min(60_000, Int64(ttlSeconds) * 100) }

    /// `ZREVRANGEBYLEX msgs (<before8 - LIMIT 0 limit` (or `+` without `before`): the
    /// newest first, reversed here.
    public func page(_ chat: ChatKey, before: UInt64?, limit: Int, completion: @escaping Completion<[StoredMessage]>) {
        guard limit > 0 else { return completion(.success([])) }
        let keys = ValkeyChatKeys(chat)
        var encoder = RESPEncoder(reservingCapacity: 128)
        encoder.command("ZREVRANGEBYLEX", keys.messages, before.map(HistoryRange.below) ?? HistoryRange.highest,
                        HistoryRange.lowest, "LIMIT", 0, limit)
        send(keys.route, encoder, count: 1, completion: completion) { [self] replies throws(StoreError) in
            let members = try replies[0].storeBulkStrings("ZREVRANGEBYLEX")
            return messages(of: members.reversed(), in: chat)
        }
    }

    /// One batch: the size, the oldest member and everything after `after`. The gap rule
    /// is the protocol's: the history is full (`ZCARD >= historyMax`) and its oldest kept
    /// id is above `after`, so messages between them may have been trimmed.
    public func since(_ chat: ChatKey, after: UInt64, completion: @escaping Completion<SinceResult>) {
        let keys = ValkeyChatKeys(chat)
        let messagesKey = keys.messages
        let lower = HistoryRange.above(after)
        var encoder = RESPEncoder(reservingCapacity: 160)
        encoder.command("ZCARD", messagesKey)
        encoder.command("ZRANGE", messagesKey, 0, 0)
        if let lower { encoder.command("ZRANGEBYLEX", messagesKey, lower, HistoryRange.highest) }
        let historyMax = configuration.historyMax
        send(keys.route, encoder, count: lower == nil ? 2 : 3, completion: completion) { [self] replies throws(StoreError) in
            let count = try replies[0].storeInteger("ZCARD")
            let oldest = try replies[1].storeBulkStrings("ZRANGE").first.flatMap(HistoryMember.id(of:))
            let newer = lower == nil ? [] : messages(of: try replies[2].storeBulkStrings("ZRANGEBYLEX"), in: chat)
            let gap = count >= Int64(historyMax) && (oldest.map { $0 > after } ?? false)
            return SinceResult(messages: newer, gap: gap)
        }
    }

    /// `SET epoch <new> NX GET EX ttl`: the existing epoch, or the new one when there was
    /// none (null reply). One command, so two nodes asking at once agree.
    public func epoch(_ chat: ChatKey, completion: @escaping Completion<String>) {
        let keys = ValkeyChatKeys(chat)
        let candidate = newEpoch()
        var encoder = RESPEncoder(reservingCapacity: 128)
        encoder.command("SET", keys.epoch, candidate, "NX", "GET", "EX", ttlSeconds)
        send(keys.route, encoder, count: 1, completion: completion) { replies throws(StoreError) in
            switch replies[0] {
            case .null:
                return candidate
            case .bulkString(let bytes):
                guard !bytes.isEmpty, let epoch = String(validating: bytes, as: UTF8.self) else {
                    throw .corrupt("epoch of \(chat) is empty or not UTF-8")
                }
                return epoch
            default:
                throw .corrupt("SET answered \(replies[0])")
            }
        }
    }

    /// `ZRANGEBYLEX msgs [<id8 (<id+1>8`: the members of exactly this id.
    public func message(_ chat: ChatKey, id: UInt64, completion: @escaping Completion<StoredMessage?>) {
        let keys = ValkeyChatKeys(chat)
        var encoder = RESPEncoder(reservingCapacity: 96)
        encoder.command("ZRANGEBYLEX", keys.messages, HistoryRange.atLeast(id), HistoryRange.atMost(id))
        send(keys.route, encoder, count: 1, completion: completion) { [self] replies throws(StoreError) in
            messages(of: try replies[0].storeBulkStrings("ZRANGEBYLEX"), in: chat).first { $0.id == id }
        }
    }

    // MARK: Decoding members

    /// The messages of members in ascending lex order (= id order), one per id.
    ///
    /// A member that does not decode is skipped and logged. Two members of one id can only
    /// come from races (an edit's batch against another edit, or an append sent again
    /// after an edit): the one edited last wins.
    func messages<Members: Sequence>(of members: Members, in chat: ChatKey) -> [StoredMessage]
    where Members.Element == [UInt8] {
        var result: [StoredMessage] = []
        for member in members {
            let message: StoredMessage
            do throws(StoreError) {
                message = try HistoryMember.decode(member, codec: codec)
            } catch {
                logCorrupt(chat, error)
                continue
            }
            if let last = result.last, last.id == message.id {
                if (message.edited ?? .min) > (last.edited ?? .min) { result[result.count - 1] = message }
            } else {
                result.append(message)
            }
        }
        return result
    }
}
