import Gateway
import Shards

// MARK: - A room message: deliver, store, publish, ack

extension ChatService {
    /// How a room message goes (see `CrossNodeRoom`).
    enum RoomSendMode {
        /// Delivered here at once, then stored and published (the room has no other node).
        case alone
        /// Stored and published only as the room's newest id, delivered here when the
        /// publication comes back (other nodes subscribe).
        case sequenced
        /// Delivered here already (its echo was overdue): stored and published as it is.
        case delivered
    }

    /// Sends a room message its sender's node made: alone or sequenced as the room is.
    func sendRoomMessage(_ message: ChatMessage, cid: String, in room: Room, started: UInt64, _ session: ClientSession) {
        storeRoomMessage(message, cid: cid, in: room, started: started, attempt: 1, session)
    }

    /// Stores (and publishes) a room message. A sequenced message the store refuses
    /// (another node stored a larger id first) goes again with an id above that one; after
    /// `sequencedAttempts` refusals, or when it was delivered here meanwhile, it is stored as
    /// it is. The ack goes once the message is stored and delivered here.
    private func storeRoomMessage(_ message: ChatMessage, cid: String, in room: Room, started: UInt64, attempt: Int,
                                  delivered: Bool = false, _ session: ClientSession) {
        let id = room.id
        let mode: RoomSendMode = delivered ? .delivered
            : attempt <= Self.sequencedAttempts && isSequenced(id) ? .sequenced : .alone
        switch mode {
        case .sequenced:
            let deadline = now().addingSaturated(CrossNodeTiming.ownEchoWaitMs)
            crossNodeState.addEcho(PendingEcho(message: message, except: session.connection, started: started, deadlineMs: deadline), room: id)
        case .alone:
            deliverToRoom(room, message, except: session.connection)
            counters.fanOutLocal.recordElapsed(since: started)
        case .delivered:
            break
        }
        let publication = store.publishesWithAppend ? crossNode.map {
            RoomPublication(command: $0.publishCommand, channel: Keyspace.roomChannel(id),
                            payload: CrossNodeMessage.encode(instance: instance, .roomMessage(message)))
        } : nil
        defer {
            // A store that cannot publish with the write: after its commands (the room's
            // history and channel share a shard or slot, so Valkey stores the message before
            // other nodes hear of it).
            if !store.publishesWithAppend { publishToRoom(id, .roomMessage(message)) }
        }
        let stored = StoredMessage(id: message.id, from: message.from, ts: message.ts, text: message.text)
        store.appendRoomMessage(stored, room: id, publication: publication, strict: mode == .sequenced) { [self] result in
            if case .success(.refused(let newest)) = result {
                idGenerator.skip(past: newest)
                notePeers(id, true)
                guard crossNodeState.removeEcho(message.id) != nil else {
                    // Delivered here already with this id (overdue echo): stored with it.
                    return storeRoomMessage(message, cid: cid, in: room, started: started, attempt: attempt + 1,
                                            delivered: true, session)
                }
                let again = ChatMessage(chat: message.chat, id: idGenerator.next(nowMs: now()), from: message.from,
                                        ts: message.ts, text: message.text)
                return storeRoomMessage(again, cid: cid, in: room, started: started, attempt: attempt + 1, session)
            }
            roomMessageStored(message, result, mode: mode, published: publication != nil, cid: cid, in: room,
                              started: started, session)
        }
    }

    /// The store answered (anything but a refusal): peers noted, dedupe table updated, the
    /// ack sent now or, while the message waits for its echo, with its delivery.
    private func roomMessageStored(_ message: ChatMessage, _ result: Result<RoomAppendOutcome, StoreError>,
                                   mode: RoomSendMode, published: Bool, cid: String, in room: Room, started: UInt64,
                                   _ session: ClientSession) {
        let id = room.id, user = session.user, messageID = message.id, time = message.ts
        switch result {
        case .success(.stored(let reached)), .success(.storedLate(let reached)):
            if published { notePeers(id, reached > 1) }
            if case .success(.storedLate) = result { crossNodeState.lateMessages.add(1, ordering: .relaxed) }
            if mode == .sequenced, reached == 0 { echoArrived(message) }  // nobody, this node included, will hear it
        default: break
        }
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
