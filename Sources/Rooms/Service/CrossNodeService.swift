import Actors
import Gateway
import Shards

// MARK: - Other nodes: wiring, room events, DMs, ordering

extension ChatService {
    /// Connects the service to other nodes through `link` and starts the cross-node timers
    /// (heartbeat checks of nodes seen, 1 s; rate reports, 500 ms). Call on the loop thread.
    public func attachCrossNode(_ link: CrossNodeLink) {
        crossNode = link
        for id in rooms.keys { link.subscribe(Keyspace.roomChannel(id)) }
        loop.scheduleRepeating(every: .seconds(1)) { [weak self] in self?.checkRemoteNodes() }
        loop.scheduleRepeating(every: .milliseconds(CrossNodeTiming.rateReportMs)) { [weak self] in self?.reportSpentTokens() }
    }

    /// This node's id, as it goes into message ids.
    public var nodeID: UInt16 { idGenerator.nodeID }

    /// Changes the node id of new message ids (a NODE_ID claimed from Valkey); later ids
    /// stay above every id made before. Call on the loop thread.
    public func setNodeID(_ id: UInt16) {
        guard id != idGenerator.nodeID, id <= MessageID.maxNodeID else { return }
        let nowMs = UInt64(clamping: now().subtractingSaturated(MessageID.epochMs))
        let floor = MessageID.make(milliseconds: nowMs, node: MessageID.maxNodeID, sequence: MessageID.maxSequence)
        idGenerator = MessageIDGenerator(nodeID: id, after: floor)
    }

    /// Room messages delivered out of order since start (later than the order window).
    public var lateCrossNodeMessages: Int { crossNodeState.lateMessages.load(ordering: .relaxed) }

    /// Payloads from other nodes dropped as malformed since start.
    public var malformedCrossNodePayloads: Int { crossNodeState.malformed.load(ordering: .relaxed) }

    // MARK: Rooms

    /// A room became active here: receive its channel, and tell the nodes that already
    /// have it (they answer in kind), so that both sides order the room before the first
    /// message crosses.
    func crossNodeRoomStarted(_ id: UInt32) {
        crossNode?.subscribe(Keyspace.roomChannel(id))
        publishToRoom(id, .roomInterest(room: id))
    }

    /// Whether room `id` has subscribers on other nodes: on (`true`) from their interest
    /// or their events, off again when a publish of this node reached only itself.
    func notePeers(_ id: UInt32, _ present: Bool) {
        guard rooms[id] != nil else { return }
        if present {
            crossNodeState.orders[id, default: CrossNodeOrder()].peersSubscribed = true
        } else if crossNodeState.orders[id]?.peersSubscribed == true {
            crossNodeState.orders[id]?.peersSubscribed = false
            if crossNodeState.orders[id]?.isIdle(nowMs: now()) == true { crossNodeState.orders[id] = nil }
        }
    }

    /// A room went idle here (no subscribers): stop receiving its channel.
    func crossNodeRoomStopped(_ id: UInt32) {
        crossNode?.unsubscribe(Keyspace.roomChannel(id))
        for entry in crossNodeState.orders[id]?.held ?? [] {
            crossNodeState.acksAfterRelease.removeValue(forKey: entry.message.id)?()
        }
        crossNodeState.orders[id] = nil
    }

    /// Publishes `event` on `channel` for the other nodes.
    func publishToNodes(_ channel: [UInt8], _ event: CrossNodeEvent) {
        crossNode?.publish(channel, CrossNodeMessage.encode(instance: instance, event), nil)
    }

    /// Publishes `event` on room `id`'s channel. The reply (subscribers reached, this node's
    /// own subscriber link among them) says whether other nodes still have the room.
    func publishToRoom(_ id: UInt32, _ event: CrossNodeEvent) {
        guard let crossNode else { return }
        crossNode.publish(Keyspace.roomChannel(id), CrossNodeMessage.encode(instance: instance, event)) { [weak self] result in
            guard let self, case .success(let replies) = result, case .integer(let reached)? = replies.first else { return }
            // An announcement may go out before this node's own subscription is active,
            // so only a message's reply may turn the flag off.
            if reached > 1 { notePeers(id, true) } else if case .roomInterest = event {} else { notePeers(id, false) }
        }
    }

    /// Delivers a room message to this node's subscribers: at once while the room hears
    /// one source, through the room's hold-back window (`CrossNodeOrder`) while it hears
    /// several. A room that never heard another node pays one dictionary lookup.
    func deliverInOrder(_ room: Room, _ message: ChatMessage, except: ConnectionID?, source: UInt64) {
        let time = now()
        guard crossNode != nil, source != instance || crossNodeState.orders[room.id] != nil else {
            return deliverRoomMessage(room.assumeIsolated { $0.post(message, except: except, nowMs: time) },
                                      room: room.id, key: message.id, text: message.text)
        }
        var order = crossNodeState.orders.removeValue(forKey: room.id) ?? CrossNodeOrder()
        let lateBefore = order.late
        let ready = order.accept(message, except: except, source: source, nowMs: time, windowMs: configuration.orderWindowMs)
        if order.late > lateBefore {
            crossNodeState.lateMessages.add(order.late - lateBefore, ordering: .relaxed)
        }
        crossNodeState.orders[room.id] = order
        for entry in ready { post(entry, in: room, skipping: order.alreadyHave(entry.message.id), nowMs: time) }
        scheduleRelease(room.id)
    }

    /// Sends `ack` now, or, while message `id` of room `room` is held by the order window,
    /// when it is released: a sender never learns an id before the room's messages with
    /// smaller ids that reached this node in time, so `since` = the largest id it knows
    /// (its own included) skips nothing on a reconnect.
    func ackAfterRelease(_ id: UInt64, room: UInt32, _ ack: @escaping () -> Void) {
        guard crossNodeState.orders[room]?.isHolding(id) == true else { return ack() }
        crossNodeState.acksAfterRelease[id] = ack
    }

    /// Posts a released message, minus connections whose `joined` history carried it,
    /// then its sender's ack if that waited for it.
    private func post(_ entry: CrossNodeOrder.Held, in room: Room, skipping: [ConnectionID], nowMs: Int64) {
        defer { crossNodeState.acksAfterRelease.removeValue(forKey: entry.message.id)?() }
        var delivery = room.assumeIsolated { $0.post(entry.message, except: entry.except, nowMs: nowMs) }
        if !skipping.isEmpty {
            delivery.jsonRecipients.removeAll { skipping.contains($0) }
            delivery.binaryRecipients.removeAll { skipping.contains($0) }
        }
        deliverRoomMessage(delivery, room: room.id, key: entry.message.id, text: entry.message.text)
    }

    /// A connection finished joining room `id` with `history` (the ids its `joined`
    /// carried): messages still held by the order window that it already got are not sent
    /// to it again.
    func crossNodeJoined(_ id: UInt32, _ connection: ConnectionID, history: Set<UInt64>) {
        guard crossNodeState.orders[id] != nil else { return }
        crossNodeState.orders[id]?.noteJoined(connection, history: history, nowMs: now(), windowMs: configuration.orderWindowMs)
    }

    /// Sets a timer for the first held message of room `id`, unless one is set earlier.
    private func scheduleRelease(_ id: UInt32) {
        guard var order = crossNodeState.orders[id], let due = order.nextDueMs(windowMs: configuration.orderWindowMs) else { return }
        if let deadline = order.timerDeadline, deadline <= due { return }
        order.timerDeadline = due
        crossNodeState.orders[id] = order
        let delay = max(1, due.subtractingSaturated(now()))
        loop.scheduleTimer(after: .milliseconds(delay)) { [weak self] in self?.releaseHeld(id) }
    }

    private func releaseHeld(_ id: UInt32) {
        guard var order = crossNodeState.orders.removeValue(forKey: id) else { return }
        order.timerDeadline = nil
        let time = now()
        let ready = order.release(nowMs: time, windowMs: configuration.orderWindowMs)
        if !order.isIdle(nowMs: time) { crossNodeState.orders[id] = order }
        if let room = rooms[id] {
            for entry in ready { post(entry, in: room, skipping: order.alreadyHave(entry.message.id), nowMs: time) }
        }
        scheduleRelease(id)
    }

    // MARK: DMs

    /// Publishes a DM for the connections of both users on other nodes.
    func publishDirectMessage(from: UInt32, to: UInt32, id: UInt64, ts: Int64, text: String) {
        publishToNodes(Keyspace.userChannel(to), .directMessage(target: to, from: from, to: to, id: id, ts: ts, text: text))
        if from != to {
            publishToNodes(Keyspace.userChannel(from), .directMessage(target: from, from: from, to: to, id: id, ts: ts, text: text))
        }
    }

    // MARK: Receiving

    /// A payload published by another node on a channel this node subscribed: delivered to
    /// this node's connections (nothing is stored: the sending node did that). Own
    /// publications and events for rooms or users without local subscribers are ignored;
    /// a malformed payload is dropped with a log line.
    public func receiveRemote(_ payload: [UInt8]) {
        guard let (sender, event) = CrossNodeMessage.decode(payload) else {
            let count = crossNodeState.malformed.add(1, ordering: .relaxed).newValue
            if count <= 10 || count % 1000 == 0 {
                Log.warn("cross_node.malformed", ["bytes": String(payload.count), "count": String(count)])
            }
            return
        }
        guard sender != instance else { return }
        switch event {
        case .roomMessage(let message):
            guard case .room(let id) = message.chat, let room = rooms[id] else { return }
            let arrived = ChatCounters.start()
            deliverInOrder(room, message, except: nil, source: sender)
            counters.fanOutRemote.recordElapsed(since: arrived)
        case .typing(let id, let user, let ts):
            guard !level.dropsLowEvents, let room = rooms[id] else { return }
            let json = ServerEventEncoder.typing(room: id, user: user)
            let binary = BinaryFrame.typing(room: id, user: user, timestampMs: ts)
            deliver(withoutIdle(room.assumeIsolated { $0.event(json: json, binary: binary, except: nil, priority: .low) }))
        case .read(let id, let user, let messageID):
            guard !level.dropsLowEvents, let room = rooms[id] else { return }
            let json = ServerEventEncoder.read(room: id, user: user, id: messageID)
            let binary = BinaryFrame.read(room: id, user: user, id: messageID, timestampMs: now())
            deliver(withoutIdle(room.assumeIsolated { $0.event(json: json, binary: binary, except: nil, priority: .low) }))
        case .edited(let id, let messageID, let text, let ets):
            guard let room = rooms[id] else { return }
            let json = ServerEventEncoder.edited(room: id, id: messageID, text: text, ets: ets)
            deliverRoomMessage(room.assumeIsolated { $0.event(json: json, binary: nil, except: nil, priority: .normal) },
                               room: id, key: messageID, text: nil)
        case .directMessage(let target, let from, let to, let id, let ts, let text):
            guard let connections = userConnections[target], !connections.isEmpty, let gateway else { return }
            let peer = target == to ? from : to
            let frame = OutboundMessage(
                payload: ServerEventEncoder.msg(ChatMessage(chat: .dm(peer: peer), id: id, from: from, ts: ts, text: text)),
                priority: .critical)
            counters.delivered.add(connections.count, ordering: .relaxed)
            gateway.assumeIsolated { $0.broadcast(frame, to: Array(connections)) }
        case .presence(let user, let node, let seq, let online):
            if online && userConnections[user] != nil { resumeRateReports(user) }
            remotePresenceChanged(user, node: node, instance: sender, seq: seq, online: online)
        case .rateSpent(let user, let tokens):
            guard userConnections[user] != nil else { return }
            rateLimiter.charge(user: user, tokens: Int(tokens), now: now())
        case .roomInterest(let id):
            guard rooms[id] != nil else { return }
            let known = crossNodeState.orders[id]?.peersSubscribed == true
            notePeers(id, true)
            if !known { publishToRoom(id, .roomInterest(room: id)) }
        }
    }
}

/// The cross-node timings (DESIGN.md, "Several nodes" in docs/architecture.md).
public enum CrossNodeTiming {
    /// A node's heartbeat key lives this long after each refresh.
    public static let heartbeatTTLMs: Int64 = 12_000
    /// A node refreshes its heartbeat key this often.
    public static let heartbeatIntervalMs: Int64 = 4_000
    /// How often a node reads the heartbeat keys of the nodes its watched users are on.
    public static let liveCheckMs: Int64 = 1_000
    /// How often a node reports the rate tokens its users spent.
    public static let rateReportMs: Int64 = 500
    /// How long rate reports of a user alone on this node pause.
    public static let aloneReportPauseMs: Int64 = 10_000
    /// How long a `presence` reply waits for Valkey at most.
    public static let presenceReadMs: Int64 = 2_000
    /// How long a `sess:{U}` hash lives after its last change.
    public static let sessionTTLSeconds = 86_400
}
