import Actors
import Gateway

// MARK: - Priority classes of room traffic under load: HIGH, NORMAL, paced batches

/// Who a room message is urgent for: the receivers it @mentions (CRITICAL, never paced).
///
/// A mention is `@` followed by a user's id in decimal or by the `name` of their token
/// (letters, digits, `_`, `-`, `.`; names compare case-insensitively). Parsed once per
/// message, and only when its text contains `@`.
struct Mentions {
    private var ids: Set<UInt32> = []
    private var names: Set<String> = []

    /// The mentions in `text`, nil when there are none.
    init?(_ text: String) {
        guard text.utf8.contains(UInt8(ascii: "@")) else { return nil }
        var token: [UInt8] = []
        var inMention = false
        func finish(_ token: inout [UInt8]) {
            if !token.isEmpty, let word = String(validating: token, as: UTF8.self) {
                if let id = UInt32(word) { ids.insert(id) } else { names.insert(word.lowercased()) }
            }
            token.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            let wordByte = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            if inMention && wordByte && token.count < 64 {
                token.append(byte)
                continue
            }
            if inMention { finish(&token) }
            inMention = byte == UInt8(ascii: "@")
        }
        if inMention { finish(&token) }
        guard !ids.isEmpty || !names.isEmpty else { return nil }
    }

    /// Whether the user of `claims` is mentioned.
    func mention(_ claims: JWTClaims) -> Bool {
        if ids.contains(claims.userID) { return true }
        guard !names.isEmpty, let name = claims.name else { return false }
        return names.contains(name.lowercased())
    }
}

extension ChatService {
    /// Hands the frames of a room message (or of an edit, keyed by the edited message's
    /// id) to its receivers, by priority class:
    ///
    /// | level | CRITICAL (@mentioned, admin) | HIGH (active in the room, 5 min) | NORMAL (the others) |
    /// |---|---|---|---|
    /// | normal, elevated | at once | at once | at once |
    /// | high | at once | at once | paced: ≤ 1 batch/room/s |
    /// | critical | at once | paced | paced |
    ///
    /// Paced receivers get every message, in id order, at most a second late.
    func deliverRoomMessage(_ delivery: Delivery, room id: UInt32, key: UInt64, text: String?) {
        guard level >= .high, delivery.json.priority < .critical, delivery.count > 0 else { return deliver(delivery) }
        let nowMs = now()
        let mentions = text.flatMap(Mentions.init)
        let critical = level == .critical
        let pacer = pacers[id] ?? RoomPacer()
        let urgent = { [self] (connection: ConnectionID) -> Bool in
            if !critical && pacer.isActive(connection, nowMs: nowMs) { return true }
            guard let mentions, let session = sessions[connection] else { return false }
            return mentions.mention(session.claims)
        }
        var now = delivery
        var later = delivery
        (now.jsonRecipients, later.jsonRecipients) = split(delivery.jsonRecipients, by: urgent)
        (now.binaryRecipients, later.binaryRecipients) = split(delivery.binaryRecipients, by: urgent)
        deliver(now)
        guard later.count > 0 else { return }
        counters.paced.add(later.count, ordering: .relaxed)
        switch pacers[id, default: RoomPacer()].offer(later, key: key, nowMs: nowMs) {
        case .now:
            deliver(later)
        case .held(let dueMs, let schedule):
            guard schedule else { return }
            loop.scheduleTimer(after: .milliseconds(max(0, dueMs - nowMs))) { [weak self] in self?.flushPacer(id) }
        case .flush:
            flushPacer(id)
        }
    }

    private func split(_ recipients: [ConnectionID], by urgent: (ConnectionID) -> Bool) -> ([ConnectionID], [ConnectionID]) {
        var now: [ConnectionID] = []
        var later: [ConnectionID] = []
        later.reserveCapacity(recipients.count)
        for connection in recipients {
            if urgent(connection) { now.append(connection) } else { later.append(connection) }
        }
        return (now, later)
    }

    /// Sends the batch held for room `id`: every held message in id order, in one loop
    /// round (so one `writev` per connection), to the receivers still subscribed.
    func flushPacer(_ id: UInt32) {
        guard var pacer = pacers[id], !pacer.isEmpty else { return }
        let batch = pacer.takeBatch(nowMs: now())
        pacers[id] = pacer
        guard let room = rooms[id] else { return }  // stopped: nobody is subscribed any more
        let (json, binary) = room.assumeIsolated { ($0.jsonSubscribers, $0.binarySubscribers) }
        for var delivery in batch {
            delivery.jsonRecipients.removeAll { !json.contains($0) && !binary.contains($0) }
            delivery.binaryRecipients.removeAll { !json.contains($0) && !binary.contains($0) }
            deliver(delivery)
        }
    }

    /// Sends every held batch now (the level fell below `high`).
    func flushAllPacers() {
        for (id, pacer) in pacers where !pacer.isEmpty { flushPacer(id) }
    }

    /// Records that `session` used a room (sent, edited, typed, read or paged its history):
    /// it is HIGH class there for 5 minutes. Joining is not use: clients rejoin every room
    /// on each reconnect.
    func noteRoomActivity(_ command: ClientCommand, _ session: ClientSession) {
        let room: UInt32
        switch command {
        case .send(let id, _, _), .typing(let id), .read(let id, _), .edit(let id, _, _), .history(let id, _, _):
            room = id
        default:
            return
        }
        pacers[room, default: RoomPacer()].noteActive(session.connection, nowMs: now())
    }

    /// Forgets old activity and pacers with nothing left (run by the 10 s sweep).
    func prunePacers() {
        let nowMs = now()
        for id in Array(pacers.keys) where pacers[id]?.prune(nowMs: nowMs) ?? false {
            pacers[id] = nil
        }
    }
}
