import Actors
import Gateway

// MARK: - typing, read, edit, history, presence, chats

extension ChatService {
    /// The joined room for an event command, or a `not_member` reply.
    private func joinedRoom(_ id: UInt32, _ session: ClientSession) -> Room? {
        guard session.rooms.contains(id), let room = rooms[id] else {
            reply(ProtocolError(.notMember, "join room \(id) first"), to: session)
            return nil
        }
        return room
    }

    func typing(_ id: UInt32, _ session: ClientSession) {
        guard allows(.typing, session), let room = joinedRoom(id, session) else { return }
        guard !level.dropsLowEvents else { return counters.droppedByLevel.add(.low) }
        let user = session.user
        let connection = session.connection
        let time = now()
        if let delivery = room.assumeIsolated({ $0.typing(user: user, except: connection, nowMs: time) }) {
            deliver(withoutIdle(delivery))
            publishToRoom(id, .typing(room: id, user: user, ts: time))
        }
    }

    func read(_ id: UInt32, id messageID: UInt64, _ session: ClientSession) {
        guard allows(.receipts, session), let room = joinedRoom(id, session) else { return }
        let user = session.user
        store.setRead(.room(id), user: user, id: messageID) { [self] result in
            guard case .success = result else {
                if case .failure(let error) = result { unavailable(error, session) }
                return
            }
            publishToRoom(id, .read(room: id, user: user, id: messageID))
            guard !level.dropsLowEvents else { return counters.droppedByLevel.add(.low) }  // the position is stored; the receipt is shed
            let json = ServerEventEncoder.read(room: id, user: user, id: messageID)
            let binary = BinaryFrame.read(room: id, user: user, id: messageID, timestampMs: now())
            let connection = session.connection
            deliver(withoutIdle(room.assumeIsolated { $0.event(json: json, binary: binary, except: connection, priority: .low) }))
        }
    }

    func edit(_ id: UInt32, id messageID: UInt64, text: String, _ session: ClientSession) {
        guard allows(.edits, session), let room = joinedRoom(id, session) else { return }
        store.message(.room(id), id: messageID) { [self] found in
            switch found {
            case .failure(let error): return unavailable(error, session)
            case .success(nil): return reply(ProtocolError(.badRequest, "no message \(messageID) in room \(id)"), to: session)
            case .success(let message?):
                guard message.from == session.user else {
                    return reply(ProtocolError(.notAuthor, "only the author may edit"), to: session)
                }
            }
            let editedAt = now()
            store.edit(.room(id), id: messageID, text: text, at: editedAt) { [self] result in
                switch result {
                case .failure(let error): unavailable(error, session)
                case .success(nil): reply(ProtocolError(.badRequest, "no message \(messageID) in room \(id)"), to: session)
                case .success(.some):
                    let json = ServerEventEncoder.edited(room: id, id: messageID, text: text, ets: editedAt)
                    deliverRoomMessage(room.assumeIsolated { $0.event(json: json, binary: nil, except: nil, priority: .normal) },
                                       room: id, key: messageID, text: nil)
                    publishToRoom(id, .edited(room: id, id: messageID, text: text, ets: editedAt))
                }
            }
        }
    }

    func history(_ id: UInt32, before: UInt64?, limit: Int, _ session: ClientSession) {
        guard joinedRoom(id, session) != nil else { return }
        store.page(.room(id), before: before, limit: limit) { [self] result in
            switch result {
            case .failure(let error): unavailable(error, session)
            case .success(let messages):
                guard isOpen(session) else { return }
                let list = messages.map { $0.message(in: .room(id), seenBy: session.user) }
                send(ServerEventEncoder.history(room: id, messages: list), to: session.connection)
            }
        }
    }

    func presence(_ users: [UInt32], _ session: ClientSession) {
        guard allows(.presence, session) else { return }
        for user in session.watching {
            watchers[user]?.remove(session.connection)
            if watchers[user]?.isEmpty ?? false { watchers[user] = nil }
        }
        session.watching = Set(users)
        for user in session.watching { watchers[user, default: []].insert(session.connection) }
        if crossNode != nil { return crossNodePresence(users, session) }
        var seen = Set<UInt32>()
        let online = users.filter { isOnline($0) && seen.insert($0).inserted }
        send(ServerEventEncoder.presence(online: online), to: session.connection)
    }

    func chats(_ session: ClientSession) {
        let user = session.user
        store.chats(of: user) { [self] listing in
            guard case .success(let chats) = listing else {
                if case .failure(let error) = listing { unavailable(error, session) }
                return
            }
            onlineAnywhere(Set(chats.dmPeers)) { [self] online in
                listChats(chats, of: user, online: online, session)
            }
        }
    }

    /// The `chats` reply: one summary per conversation, DM peers marked online from `online`.
    private func listChats(_ chats: UserChats, of user: UInt32, online: Set<UInt32>, _ session: ClientSession) {
        let conversations = chats.rooms.map { ChatKey.room($0) } + chats.dmPeers.map { ChatKey.dm(between: user, and: $0) }
        var entries = [ChatListEntry?](repeating: nil, count: conversations.count)
        var remaining = conversations.count
        var failed = false
        let finish = { [self] in
            guard isOpen(session) else { return }
            send(ServerEventEncoder.chats(entries.compactMap { $0 }), to: session.connection)
        }
        if remaining == 0 { return finish() }
        for (index, chat) in conversations.enumerated() {
            summary(of: chat, for: user, online: online) { [self] result in
                remaining -= 1
                switch result {
                case .success(let entry): entries[index] = entry
                case .failure(let error):
                    if !failed { unavailable(error, session) }
                    failed = true
                }
                if remaining == 0 && !failed { finish() }
            }
        }
    }

    /// Last message, unread count (messages from others above the read position) and,
    /// for a DM, whether the peer is online.
    private func summary(of chat: ChatKey, for user: UInt32, online peers: Set<UInt32>,
                         completion: @escaping (Result<ChatListEntry, StoreError>) -> Void) {
        store.page(chat, before: nil, limit: 1) { [self] last in
            guard case .success(let lastMessages) = last else {
                if case .failure(let error) = last { completion(.failure(error)) }
                return
            }
            store.readPosition(chat, user: user) { [self] position in
                guard case .success(let readUpTo) = position else {
                    if case .failure(let error) = position { completion(.failure(error)) }
                    return
                }
                store.since(chat, after: readUpTo) { newer in
                    switch newer {
                    case .failure(let error): completion(.failure(error))
                    case .success(let found):
                        let unread = found.messages.filter { $0.from != user }.count
                        let view = chat.chat(seenBy: user)
                        var online = false
                        if case .dm(let peer) = view { online = peers.contains(peer) }
                        let lastMessage = lastMessages.last.map { $0.message(in: chat, seenBy: user) }
                        completion(.success(ChatListEntry(chat: view, last: lastMessage, unread: unread, online: online)))
                    }
                }
            }
        }
    }
}
