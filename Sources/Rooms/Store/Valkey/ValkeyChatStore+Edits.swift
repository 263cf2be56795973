import Shards

// MARK: - Edits

extension ValkeyChatStore {
    /// Reads the message (`message(_:id:)`), then replaces it in one batch:
    ///
    /// ```
    /// ZREMRANGEBYLEX  msgs [<id8 (<id+1>8      every member of this id (not just the one
    ///                                          read: a concurrent edit leaves no twin)
    /// ZADD            msgs 0 <id8+new payload>
    /// ZREMRANGEBYRANK msgs 0 -(historyMax+1)   if the message was trimmed meanwhile
    /// EXPIRE          msgs ttl NX              if the history expired meanwhile: no key
    ///                                          without TTL (an edit does not renew it)
    /// LPUSH           edits:<id> <previous text, ZstdCodec>
    /// EXPIRE          edits:<id> ttl
    /// ```
    ///
    /// The LPUSH is the one write that is not idempotent: a batch sent again after a
    /// reconnect records the previous text twice.
    public func edit(_ chat: ChatKey, id: UInt64, text: String, at editedAt: Int64,
                     completion: @escaping Completion<StoredMessage?>) {
        message(chat, id: id) { [self] result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .success(nil):
                completion(.success(nil))
            case .success(let old?):
                var updated = old
                updated.text = text
                updated.edited = editedAt
                replace(old, with: updated, in: chat, completion: completion)
            }
        }
    }

    /// `LRANGE edits:<id> 0 -1`: previous texts, newest first; undecodable ones skipped.
    public func editHistory(_ chat: ChatKey, id: UInt64, completion: @escaping Completion<[String]>) {
        let keys = ValkeyChatKeys(chat)
        var encoder = RESPEncoder(reservingCapacity: 96)
        encoder.command("LRANGE", keys.edits(id), 0, -1)
        send(keys.route, encoder, count: 1, completion: completion) { [self] replies throws(StoreError) in
            var texts: [String] = []
            for stored in try replies[0].storeBulkStrings("LRANGE") {
                guard let bytes = try? codec.decode(stored), let text = String(validating: bytes, as: UTF8.self) else {
                    logCorrupt(chat, .corrupt("edit history of message \(id): undecodable text"))
                    continue
                }
                texts.append(text)
            }
            return texts
        }
    }

    /// The write half of `edit`.
    private func replace(_ old: StoredMessage, with updated: StoredMessage, in chat: ChatKey,
                         completion: @escaping Completion<StoredMessage?>) {
        let keys = ValkeyChatKeys(chat)
        let member: [UInt8], previous: [UInt8]
        do throws(StoreError) {
            member = try HistoryMember.encode(updated, codec: codec)
        } catch {
            return completion(.failure(error))
        }
        do throws(ShardsError) {
            previous = try codec.encode(Array(old.text.utf8))
        } catch {
            return completion(.failure(.corrupt("previous text of message \(old.id) not storable: \(error)")))
        }
        let messagesKey = keys.messages, editsKey = keys.edits(old.id)
        var encoder = RESPEncoder(reservingCapacity: member.count + previous.count + 4 * messagesKey.count + 2 * editsKey.count + 200)
        encoder.command("ZREMRANGEBYLEX", messagesKey, HistoryRange.atLeast(old.id), HistoryRange.atMost(old.id))
        encoder.command("ZADD", messagesKey, 0, member)
        encoder.command("ZREMRANGEBYRANK", messagesKey, 0, -(max(0, configuration.historyMax) + 1))
        encoder.command("EXPIRE", messagesKey, ttlSeconds, "NX")
        encoder.command("LPUSH", editsKey, previous)
        encoder.command("EXPIRE", editsKey, ttlSeconds)
        send(keys.route, encoder, count: 6, completion: completion) { replies throws(StoreError) in
            for (index, command) in ["ZREMRANGEBYLEX", "ZADD", "ZREMRANGEBYRANK", "EXPIRE", "LPUSH", "EXPIRE"].enumerated() {
                guard case .integer = replies[index] else { throw .corrupt("\(command) answered \(replies[index])") }
            }
            return updated
        }
    }
}
