import Actors
import Gateway
import Shards

// MARK: - A room message: deliver, store, publish, ack

extension ChatService {
    /// Sends a room message its sender's node made (see `CrossNodeRoom`): alone, it is
    /// delivered here at once, then stored with the `append` batch and published after it;
    /// sequenced (other nodes subscribe), the store's script stores and publishes it only
    /// as the room's newest id, and it is delivered here when the publication comes back.
    /// A sequenced message the store refuses (another node stored a larger id first) goes
    /// again with an id above that one; after `sequencedAttempts` refusals, or when it was
    /// delivered here meanwhile, it goes as it is. The ack goes once the message is stored
    /// and delivered here.
    func sendRoomMessage(_ message: ChatMessage, cid: String, in room: Room, started: UInt64, attempt: Int = 1,
                         delivered: Bool = false, _ session: ClientSession) {
        let id = room.id
        let stored = StoredMessage(id: message.id, from: message.from, ts: message.ts, text: message.text)
        guard !delivered, attempt <= Self.sequencedAttempts, isSequenced(id), let crossNode else {
            if !delivered {
                deliverToRoom(room, message, except: session.connection)
                counters.fanOutLocal.recordElapsed(since: started)
            }
            // After the store's commands: the room's history and channel share a shard (or
            // slot), so Valkey stores the message before other nodes hear of it.
            defer { publishToRoom(id, .roomMessage(message)) }
            return store.append(stored, to: .room(id)) { [self] result in
                roomMessageStored(message, result.map { .stored(reached: 0) }, cid: cid, in: room, started: started, session)
            }
        }
        let deadline = now().addingSaturated(CrossNodeTiming.ownEchoWaitMs)
        crossNodeState.addEcho(PendingEcho(message: message, except: session.connection, started: started, deadlineMs: deadline), room: id)
        let publication = RoomPublication(command: crossNode.publishCommand, channel: Keyspace.roomChannel(id),
                                          payload: CrossNodeMessage.encode(instance: instance, .roomMessage(message)))
        store.appendRoomMessage(stored, room: id, publication: publication) { [self] result in
            switch result {
            case .success(.refused(let newest)):
                if !idGenerator.skip(past: newest, nowMs: now()) {
                    // A stored id far in the future (garbled data): after the attempts run
                    // out, the message goes alone (stored below it).
                    Log.warn("room.future_id", ["room": String(id), "newest": String(newest)])
                }
                notePeers(id, true)
                guard crossNodeState.removeEcho(message.id) != nil else {
                    // Delivered here already with this id (overdue echo): stored with it.
                    return sendRoomMessage(message, cid: cid, in: room, started: started, attempt: attempt + 1,
                                            delivered: true, session)
                }
                let again = ChatMessage(chat: message.chat, id: idGenerator.next(nowMs: now()), from: message.from,
                                        ts: message.ts, text: message.text)
                return sendRoomMessage(again, cid: cid, in: room, started: started, attempt: attempt + 1, session)
            case .success(.stored(let reached)):
                notePeers(id, reached > 1)
                if reached == 0 { echoArrived(message) }  // nobody, this node included, will hear it
            case .success(.duplicate), .failure:
                break
            }
            roomMessageStored(message, result, cid: cid, in: room, started: started, session)
        }
    }

    /// The store answered (anything but a refusal): dedupe table updated, the ack sent now
    /// or, while the message waits for its echo, with its delivery.
    private func roomMessageStored(_ message: ChatMessage, _ result: Result<RoomAppendOutcome, StoreError>,
                                   cid: String, in room: Room, started: UInt64, _ session: ClientSession) {
        let id = room.id, user = session.user, messageID = message.id, time = message.ts
        let nowMs = now()
        room.assumeIsolated { room in
            if case .success = result {
                room.rememberAck(user: user, cid: cid, id: messageID, ts: time, nowMs: nowMs)
            } else {
                room.clearPending(user: user, cid: cid)
            }
        }
        switch result {
        case .success:
            let ack = { [self] in
                sendAck(cid: cid, id: messageID, ts: time, room: id, session)
                counters.storeToAck.recordElapsed(since: started)
            }
            guard crossNodeState.echoes[messageID] != nil else { return ack() }
            crossNodeState.echoes[messageID]?.ack = ack
        case .failure(let error):
            crossNodeState.removeEcho(messageID)
            unavailable(error, session, cid: cid)
        }
    }

    /// Sends of one message made sequenced before the next goes alone (delivered here at
    /// once, stored even below a larger id): refusals in a row mean clocks far apart.
    static let sequencedAttempts = 3
}
