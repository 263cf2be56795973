import Actors
import Gateway
import Shards

// MARK: - join, leave, send, dm

extension ChatService {
    func handle(_ command: ClientCommand, from session: ClientSession) {
        switch command {
        case .join(let room, let since, let epoch): join(room, since: since, epoch: epoch, session)
        case .leave(let room): leave(room, session)
        case .send(let room, let text, let cid): post(room, text: text, cid: cid, session)
        case .dm(let peer, let text, let cid): directMessage(to: peer, text: text, cid: cid, session)
        case .typing(let room): typing(room, session)
        case .read(let room, let id): read(room, id: id, session)
        case .edit(let room, let id, let text): edit(room, id: id, text: text, session)
        case .history(let room, let before, let limit): history(room, before: before, limit: limit, session)
        case .presence(let users): presence(users, session)
        case .chats: chats(session)
        }
    }

    /// True while `session` is still the open session of its connection.
    func isOpen(_ session: ClientSession) -> Bool {
        sessions[session.connection] === session
    }

    func unavailable(_ error: StoreError, _ session: ClientSession, cid: String? = nil) {
        guard isOpen(session) else { return }
        reply(ProtocolError(.unavailable, "storage unavailable, retry", cid: cid), to: session)
    }

    private func join(_ id: UInt32, since: UInt64?, epoch clientEpoch: String?, _ session: ClientSession) {
        guard session.claims.allows(room: id) else {
            return reply(ProtocolError(.forbidden, "room \(id) is not allowed by the token"), to: session)
        }
        let room = activeRoom(id)
        let connection = session.connection
        room.assumeIsolated { $0.beginJoin(connection) }
        session.rooms.insert(id)
        store.join(room: id, user: session.user) { [self] joined in
            guard case .success(let members) = joined else { return abandonJoin(id, session, joined) }
            store.epoch(.room(id)) { [self] epoch in
                guard case .success(let epoch) = epoch else { return abandonJoin(id, session, epoch) }
                let finish = { [self] (messages: [StoredMessage], gap: Bool) in
                    guard isOpen(session), session.rooms.contains(id) else { return }
                    let history = messages.map { $0.message(in: .room(id), seenBy: session.user) }
                    send(ServerEventEncoder.joined(room: id, epoch: epoch, members: members, history: history, gap: gap),
                         to: connection)
                    let after = messages.last?.id ?? since ?? 0
                    let binary = session.binary
                    let carried = Set(messages.map(\.id))
                    let buffered = activeRoom(id).assumeIsolated {
                        $0.activate(connection, binary: binary, after: after, history: carried, since: since ?? 0)
                    }
                    crossNodeJoined(id, connection, history: carried)
                    guard let gateway, !buffered.isEmpty else { return }
                    gateway.assumeIsolated { gateway in for message in buffered { gateway.send(message, to: connection) } }
                }
                if let since {
                    store.since(.room(id), after: since) { [self] result in
                        switch result {
                        case .success(let found):
                            finish(found.messages, found.gap || (clientEpoch.map { $0 != epoch } ?? false))
                        case .failure(let error): abandonJoin(id, session, .failure(error) as Result<Void, StoreError>)
                        }
                    }
                } else {
                    store.page(.room(id), before: nil, limit: configuration.joinHistory) { [self] result in
                        switch result {
                        case .success(let messages): finish(messages, false)
                        case .failure(let error): abandonJoin(id, session, .failure(error) as Result<Void, StoreError>)
                        }
                    }
                }
            }
        }
    }

    private func abandonJoin<T>(_ id: UInt32, _ session: ClientSession, _ result: Result<T, StoreError>) {
        guard case .failure(let error) = result else { return }
        session.rooms.remove(id)
        _ = rooms[id]?.assumeIsolated { $0.unsubscribe(session.connection) }
        unavailable(error, session)
    }

    private func leave(_ id: UInt32, _ session: ClientSession) {
        session.rooms.remove(id)
        _ = rooms[id]?.assumeIsolated { $0.unsubscribe(session.connection) }
        store.leave(room: id, user: session.user) { [self] result in
            switch result {
            case .success: if isOpen(session) { send(ServerEventEncoder.left(room: id), to: session.connection) }
            case .failure(let error): unavailable(error, session)
            }
        }
    }

    /// Whether the user may send now; replies `rate_limited` when not.
    func takeToken(_ session: ClientSession, cid: String?) -> Bool {
        switch rateLimiter.tryTake(user: session.user, now: now()) {
        case .allowed:
            noteTokenSpent(session.user)
            return true
        case .refused(let retry):
            counters.rateLimited.add(1, ordering: .relaxed)
            reply(ProtocolError(.rateLimited, "too many messages", cid: cid, retryAfterMs: retry), to: session)
            return false
        }
    }

    private func post(_ id: UInt32, text: String, cid: String, _ session: ClientSession) {
        let started = ChatCounters.start()
        guard session.rooms.contains(id), let room = rooms[id] else {
            return reply(ProtocolError(.notMember, "join room \(id) first", cid: cid), to: session)
        }
        let time = now()
        let user = session.user
        switch room.assumeIsolated({ $0.dedupe(user: user, cid: cid, nowMs: time) }) {
        case .acked(let id, let ts): return sendAck(cid: cid, id: id, ts: ts, room: room.id, session)
        case .pending: return  // the first copy's ack is on its way
        case .new: break
        }
        guard takeToken(session, cid: cid) else {
            room.assumeIsolated { $0.clearPending(user: user, cid: cid) }
            return
        }
        let message = ChatMessage(chat: .room(id), id: idGenerator.next(nowMs: time), from: user, ts: time, text: text)
        sendRoomMessage(message, cid: cid, in: room, started: started, session)
    }

    func sendAck(cid: String, id: UInt64, ts: Int64, room: UInt32?, _ session: ClientSession) {
        guard isOpen(session) else { return }
        if session.binary, let room, let frame = BinaryFrame.ack(room: room, user: session.user, id: id, cid: cid, timestampMs: ts) {
            let message = OutboundMessage(opcode: .binary, payload: frame, priority: .critical)
            _ = gateway?.assumeIsolated { $0.send(message, to: session.connection) }
        } else {
            send(ServerEventEncoder.ack(cid: cid, id: id, ts: ts), to: session.connection, priority: .critical)
        }
    }

    private func directMessage(to peer: UInt32, text: String, cid: String, _ session: ClientSession) {
        let started = ChatCounters.start()
        let user = session.user
        let time = now()
        let key = "\(user):\(peer):\(cid)"
        if let previous = dmAcks[key], time - previous.atMs < Room.dedupeWindowMs {
            if previous.id != 0 { sendAck(cid: cid, id: previous.id, ts: previous.ts, room: nil, session) }
            return
        }
        guard takeToken(session, cid: cid) else { return }
        dmAcks[key] = (0, 0, time)  // pending
        let messageID = idGenerator.next(nowMs: time)
        let toPeer = OutboundMessage(
            payload: ServerEventEncoder.msg(ChatMessage(chat: .dm(peer: user), id: messageID, from: user, ts: time, text: text)),
            priority: .critical)
        let toSelf = peer == user ? toPeer : OutboundMessage(
            payload: ServerEventEncoder.msg(ChatMessage(chat: .dm(peer: peer), id: messageID, from: user, ts: time, text: text)),
            priority: .critical)
        let peerConnections = peer == user ? [] : Array(userConnections[peer] ?? [])
        let ownConnections = (userConnections[user] ?? []).filter { $0 != session.connection }
        counters.noteDelivered(peerConnections.count + ownConnections.count, .critical)
        gateway?.assumeIsolated { gateway in
            gateway.broadcast(toPeer, to: peerConnections)
            gateway.broadcast(toSelf, to: ownConnections)
        }
        publishDirectMessage(from: user, to: peer, id: messageID, ts: time, text: text)
        let chat = ChatKey.dm(between: user, and: peer)
        store.append(StoredMessage(id: messageID, from: user, ts: time, text: text), to: chat) { [self] result in
            switch result {
            case .success:
                dmAcks[key] = (messageID, time, now())
                if dmAcks.count > 4096 { dmAcks = dmAcks.filter { now() - $0.value.atMs < Room.dedupeWindowMs } }
                store.linkDM(user, peer) { _ in }
                sendAck(cid: cid, id: messageID, ts: time, room: nil, session)
                counters.storeToAck.recordElapsed(since: started)
            case .failure(let error):
                dmAcks[key] = nil
                unavailable(error, session, cid: cid)
            }
        }
    }
}
