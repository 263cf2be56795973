import Actors
import Gateway
import Shards

// MARK: - Other nodes: wiring, room events, DMs, ordering

extension ChatService {
    /// Connects the service to other nodes through `link` and starts the cross-node timers
    /// (heartbeat checks of nodes seen, 1 s; rate reports, 500 ms; overdue echoes, 250 ms).
    /// Call on the loop thread.
    public func attachCrossNode(_ link: CrossNodeLink) {
        crossNode = link
        for id in rooms.keys { link.subscribe(Keyspace.roomChannel(id)) }
        loop.scheduleRepeating(every: .seconds(1)) { [weak self] in self?.checkRemoteNodes() }
        loop.scheduleRepeating(every: .milliseconds(CrossNodeTiming.rateReportMs)) { [weak self] in self?.reportSpentTokens() }
        loop.scheduleRepeating(every: .milliseconds(CrossNodeTiming.echoCheckMs)) { [weak self] in self?.deliverOverdueEchoes() }
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

    /// Room messages delivered after a larger id since start (see `CrossNodeRoom`).
    public var lateCrossNodeMessages: Int { crossNodeState.lateMessages.load(ordering: .relaxed) }

    /// Sequenced room messages of this node waiting for their publication to come back.
    /// Readable from any thread (the drain waits for it).
    public var pendingEchoCount: Int { crossNodeState.pendingEchoes.load(ordering: .relaxed) }

    /// Sequenced room messages delivered here without their echo since start.
    public var overdueEchoes: Int { crossNodeState.overdueEchoes.load(ordering: .relaxed) }

    /// Payloads from other nodes dropped as malformed since start.
    public var malformedCrossNodePayloads: Int { crossNodeState.malformed.load(ordering: .relaxed) }

    // MARK: Rooms

    /// A room became active here: receive its channel, and tell the nodes that already
    /// have it (they answer in kind), so that both sides sequence the room before the
    /// first message crosses.
    func crossNodeRoomStarted(_ id: UInt32) {
        crossNode?.subscribe(Keyspace.roomChannel(id))
        publishToRoom(id, .roomInterest(room: id))
    }

    /// Whether room `id` has subscribers on other nodes: on (`true`) from their interest
    /// or their messages, off again when a publish of this node reached only itself.
    func notePeers(_ id: UInt32, _ present: Bool) {
        guard rooms[id] != nil else { return }
        if present {
            crossNodeState.rooms[id, default: CrossNodeRoom()].peersSubscribed = true
        } else {
            crossNodeState.rooms[id]?.peersSubscribed = false
        }
    }

    /// A room went idle here (no subscribers): stop receiving its channel; acks waiting for
    /// an echo of the room go out (there is nobody left to deliver to).
    func crossNodeRoomStopped(_ id: UInt32) {
        crossNode?.unsubscribe(Keyspace.roomChannel(id))
        crossNodeState.rooms[id] = nil
        let waiting = crossNodeState.echoes.filter { if case .room(id) = $0.value.message.chat { true } else { false } }
        for (messageID, echo) in waiting where echo.ack != nil {
            crossNodeState.removeEcho(messageID)
            echo.ack?()
        }
    }

    /// Whether room `id`'s messages go sequenced: other nodes subscribe to it, and the
    /// store publishes in the same step as the write (see `CrossNodeRoom`).
    func isSequenced(_ id: UInt32) -> Bool {
        crossNode != nil && store.publishesWithAppend && crossNodeState.rooms[id]?.isSequenced == true
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

    /// Delivers a room message to this node's subscribers (except `except`), noting its id
    /// for the room: a smaller id after a larger one is counted late.
    func deliverToRoom(_ room: Room, _ message: ChatMessage, except: ConnectionID?) {
        let time = now()
        var delivery = room.assumeIsolated { $0.post(message, except: except, nowMs: time) }
        if crossNode != nil {
            let (inOrder, alreadyHave) = crossNodeState.rooms[room.id, default: CrossNodeRoom()].deliver(message.id, nowMs: time)
            if !inOrder { crossNodeState.lateMessages.add(1, ordering: .relaxed) }
            if !alreadyHave.isEmpty {
                delivery.jsonRecipients.removeAll { alreadyHave.contains($0) }
                delivery.binaryRecipients.removeAll { alreadyHave.contains($0) }
            }
        }
        deliverRoomMessage(delivery, room: room.id, key: message.id, text: message.text)
    }

    /// A connection finished joining room `id` with `history` (the ids its `joined`
    /// carried): messages of the room arriving just after are not sent to it again.
    func crossNodeJoined(_ id: UInt32, _ connection: ConnectionID, history: Set<UInt64>) {
        guard crossNode != nil, !history.isEmpty else { return }
        crossNodeState.rooms[id, default: CrossNodeRoom()].noteJoined(connection, history: history, nowMs: now())
    }

    /// A sequenced message of this node came back on its room's channel: delivered here now,
    /// in channel order, then its sender's ack if the store answered already. An echo of a
    /// message delivered before (alone in its room, or overdue) is ignored.
    func echoArrived(_ message: ChatMessage) {
        guard let echo = crossNodeState.removeEcho(message.id) else { return }
        if case .room(let id) = message.chat, let room = rooms[id] {
            deliverToRoom(room, echo.message, except: echo.except)
            counters.fanOutLocal.recordElapsed(since: echo.started)
        }
        echo.ack?()
    }

    /// Sequenced messages sent `CrossNodeTiming.ownEchoWaitMs` ago whose publication has not
    /// come back (their shard is down or slow, or this node's subscriber link is
    /// resubscribing): delivered here now, in id order, and acked if stored.
    func deliverOverdueEchoes() {
        guard !crossNodeState.echoes.isEmpty else { return }
        let time = now()
        let overdue = crossNodeState.echoes.filter { time >= $0.value.deadlineMs }
        guard !overdue.isEmpty else { return }
        crossNodeState.overdueEchoes.add(overdue.count, ordering: .relaxed)
        for (id, echo) in overdue.sorted(by: { $0.key < $1.key }) {
            crossNodeState.removeEcho(id)
            if case .room(let roomID) = echo.message.chat, let room = rooms[roomID] {
                deliverToRoom(room, echo.message, except: echo.except)
            }
            echo.ack?()
        }
        Log.warn("cross_node.echo_overdue", ["messages": String(overdue.count)])
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
        // This node's own publications come back on the channels it subscribes (every room
        // message of a room alone here): with no sequenced message waiting for its echo,
        // there is nothing to do with them, so they are not decoded.
        if crossNodeState.echoes.isEmpty, CrossNodeMessage.sender(of: payload) == instance { return }
        guard let (sender, event) = CrossNodeMessage.decode(payload) else {
            let count = crossNodeState.malformed.add(1, ordering: .relaxed).newValue
            if count <= 10 || count % 1000 == 0 {
                Log.warn("cross_node.malformed", ["bytes": String(payload.count), "count": String(count)])
            }
            return
        }
        if sender == instance, case .roomMessage(let message) = event { return echoArrived(message) }
        guard sender != instance else { return }
        switch event {
        case .roomMessage(let message):
            guard case .room(let id) = message.chat, let room = rooms[id] else { return }
            let arrived = ChatCounters.start()
            idGenerator.skip(past: message.id, nowMs: now())  // this node's next ids in the room come after it
            notePeers(id, true)
            deliverToRoom(room, message, except: nil)
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
            let known = crossNodeState.rooms[id]?.peersSubscribed == true
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
    /// How long a sequenced message waits for its own publication to come back before it is
    /// delivered here anyway (checked every `echoCheckMs`).
    public static let ownEchoWaitMs: Int64 = 1_000
    /// How often overdue echoes are looked for.
    public static let echoCheckMs: Int64 = 250
    /// How long a `presence` reply waits for Valkey at most.
    public static let presenceReadMs: Int64 = 2_000
    /// How long a `sess:{U}` hash lives after its last change.
    public static let sessionTTLSeconds = 86_400
}
