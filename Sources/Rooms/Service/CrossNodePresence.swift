import Actors
import Gateway
import Shards

// MARK: - Presence across nodes
//
// A node records its users in `sess:{U}` (field: its node id, value: "<instance>:<seq>")
// while they have connections on it, and publishes each change on `user.{U}`, in one
// batch (the hash and the channel share U's slot). A user is online while any node whose
// heartbeat key `node:<N>` still holds the instance of the field has a session. Watchers'
// nodes keep the remote sessions of watched users (read once from `sess:{U}`, then kept by
// the events) and read the heartbeat keys of the nodes involved every second, so a node
// that dies takes its users offline when its key expires.

extension ChatService {
    /// Whether `user` has a connection here or on another live node (as far as this node
    /// knows: exact for users watched here).
    func isOnlineAnywhere(_ user: UInt32) -> Bool {
        if isOnline(user) { return true }
        guard let sessions = crossNodeState.remote[user] else { return false }
        return sessions.contains { node, entry in entry.online && crossNodeState.liveNodes[node] == entry.instance }
    }

    /// The user's first connection here opened, or the last one closed: record it in
    /// Valkey, tell the other nodes, and tell local watchers if that changed the user's
    /// state anywhere.
    func crossNodeLocalPresence(_ user: UInt32, online: Bool) {
        guard let link = crossNode else { return }
        if online { subscribeUserChannel(user) }
        crossNodeState.presenceSeq = max(crossNodeState.presenceSeq + 1, UInt64(clamping: now()) << 12)
        recordSessions(user, online: online, seq: crossNodeState.presenceSeq, link: link)
        if !online { unsubscribeUserChannelIfUnused(user) }
        notifyWatchersIfChanged(user)
    }

    /// `HSET`/`HDEL` of this node's field in `sess:{U}` and the presence event, one batch.
    private func recordSessions(_ user: UInt32, online: Bool, seq: UInt64, link: CrossNodeLink) {
        let key = Keyspace.session(user)
        var encoder = RESPEncoder(reservingCapacity: 160)
        if online {
            encoder.command("HSET", key, String(nodeID), "\(instance):\(seq)")
            encoder.command("EXPIRE", key, CrossNodeTiming.sessionTTLSeconds)
        } else {
            encoder.command("HDEL", key, String(nodeID))
        }
        let payload = CrossNodeMessage.encode(instance: instance, .presence(user: user, node: nodeID, seq: seq, online: online))
        encoder.command(link.publishCommand, Keyspace.userChannel(user), payload)
        link.submit(encoder.take(), online ? 3 : 2, key) { result in
            if case .failure(let error) = result {
                Log.warn("presence.record_failed", ["user": String(user), "error": String(describing: error)])
            }
        }
    }

    /// Records again every local user (after this node's heartbeat key was lost and
    /// re-created: Valkey restarted empty, or the node was cut off long enough for other
    /// nodes to take its users offline).
    public func republishPresence() {
        guard let link = crossNode else { return }
        for (user, connections) in userConnections where !connections.isEmpty {
            crossNodeState.presenceSeq = max(crossNodeState.presenceSeq + 1, UInt64(clamping: now()) << 12)
            recordSessions(user, online: true, seq: crossNodeState.presenceSeq, link: link)
        }
    }

    func subscribeUserChannel(_ user: UInt32) {
        guard let link = crossNode, crossNodeState.userChannels.insert(user).inserted else { return }
        link.subscribe(Keyspace.userChannel(user))
    }

    func unsubscribeUserChannelIfUnused(_ user: UInt32) {
        guard let link = crossNode, !isOnline(user), watchers[user] == nil,
              crossNodeState.userChannels.remove(user) != nil else { return }
        link.unsubscribe(Keyspace.userChannel(user))
    }

    /// Tells the watchers of `user` when their state anywhere differs from what they were
    /// last told (nothing before their `presence` reply, which carries the state).
    func notifyWatchersIfChanged(_ user: UInt32) {
        guard watchers[user] != nil, let previous = crossNodeState.told[user] else { return }
        let current = isOnlineAnywhere(user)
        guard current != previous else { return }
        crossNodeState.told[user] = current
        tellWatchers(user, online: current)
    }

    /// A presence event of another node.
    func remotePresenceChanged(_ user: UInt32, node: UInt16, instance sender: UInt64, seq: UInt64, online: Bool) {
        guard watchers[user] != nil else { return }
        let entry = RemoteSessions(instance: sender, seq: seq, online: online)
        var sessions = crossNodeState.remote[user] ?? [:]
        if let known = sessions[node], known.instance == sender, known.seq > seq { return }
        sessions[node] = entry
        crossNodeState.remote[user] = sessions
        if online { crossNodeState.liveNodes[node] = sender }  // it just spoke
        notifyWatchersIfChanged(user)
    }

    // MARK: The presence query

    /// `presence` with other nodes: reads `sess:{U}` of the watched users not known yet and
    /// the heartbeat keys of their nodes, then replies (after at most
    /// `CrossNodeTiming.presenceReadMs`, with what is known by then).
    func crossNodePresence(_ users: [UInt32], _ session: ClientSession) {
        var unknown: [UInt32] = []
        for user in Set(users) {
            subscribeUserChannel(user)
            if !crossNodeState.seeded.contains(user) { unknown.append(user) }
        }
        var answered = false
        let answer = { [self] in
            guard !answered else { return }
            answered = true
            guard isOpen(session) else { return }
            var seen = Set<UInt32>()
            let online = users.filter { isOnlineAnywhere($0) && seen.insert($0).inserted }
            for user in session.watching { crossNodeState.told[user] = isOnlineAnywhere(user) }
            send(ServerEventEncoder.presence(online: online), to: session.connection)
        }
        guard !unknown.isEmpty else { return answer() }
        loop.scheduleTimer(after: .milliseconds(CrossNodeTiming.presenceReadMs)) { answer() }
        readSessions(unknown) { [self] nodes in
            checkNodes(nodes) { answer() }
        }
    }

    /// Reads `sess:{U}` of `users` into the remote sessions; completes with the nodes whose
    /// liveness is not known for the instances found.
    private func readSessions(_ users: [UInt32], completion: @escaping (Set<UInt16>) -> Void) {
        readSessionHashes(users) { [self] hashes in
            var toCheck = Set<UInt16>()
            for (user, fields) in hashes {
                crossNodeState.seeded.insert(user)
                toCheck.formUnion(mergeSessions(user, fields))
            }
            completion(toCheck)
        }
    }

    /// `HGETALL sess:{U}` of every user in `users` (one batch each, on U's shard or slot);
    /// completes once all answered with the fields of those that could be read.
    func readSessionHashes(_ users: [UInt32], completion: @escaping ([UInt32: [RESPValue]]) -> Void) {
        guard let link = crossNode, !users.isEmpty else { return completion([:]) }
        var remaining = users.count
        var hashes: [UInt32: [RESPValue]] = [:]
        for user in users {
            let key = Keyspace.session(user)
            var encoder = RESPEncoder(reservingCapacity: 48)
            encoder.command("HGETALL", key)
            link.submit(encoder.take(), 1, key) { result in
                if case .success(let replies) = result, let fields = replies.first?.array { hashes[user] = fields }
                remaining -= 1
                if remaining == 0 { completion(hashes) }
            }
        }
    }

    /// Merges the fields of `sess:{U}` into the remote sessions of `user` (an entry known
    /// from a newer event wins); returns the nodes whose instance is not confirmed live.
    private func mergeSessions(_ user: UInt32, _ fields: [RESPValue]) -> Set<UInt16> {
        var sessions = crossNodeState.remote[user] ?? [:]
        var unconfirmed = Set<UInt16>()
        for (node, entry) in otherNodesSessions(fields) {
            if let known = sessions[node], known.instance == entry.instance, known.seq >= entry.seq { continue }
            sessions[node] = entry
            if crossNodeState.liveNodes[node] != entry.instance { unconfirmed.insert(node) }
        }
        if watchers[user] != nil { crossNodeState.remote[user] = sessions }
        return unconfirmed
    }

    /// The sessions of other nodes in the fields of a `sess:{U}` hash (node id, then
    /// "<instance>:<seq>"); fields that do not parse are skipped.
    func otherNodesSessions(_ fields: [RESPValue]) -> [(node: UInt16, entry: RemoteSessions)] {
        var found: [(node: UInt16, entry: RemoteSessions)] = []
        var index = 0
        while index + 1 < fields.count {
            defer { index += 2 }
            guard let nodeText = fields[index].string, let node = UInt16(nodeText), node <= MessageID.maxNodeID,
                  let value = fields[index + 1].string else { continue }
            let parts = value.split(separator: ":")
            guard parts.count == 2, let entryInstance = UInt64(parts[0]), let seq = UInt64(parts[1]) else { continue }
            if entryInstance == instance { continue }  // this node: known locally
            found.append((node, RemoteSessions(instance: entryInstance, seq: seq, online: true)))
        }
        return found
    }

    /// Which of `users` are online anywhere: connected here, or holding a session on a
    /// live node (read from `sess:{U}` and the heartbeat keys, for users not watched here).
    /// Completes on the loop, after at most `CrossNodeTiming.presenceReadMs` with what is
    /// known by then (used by `chats` for its DM peers).
    func onlineAnywhere(_ users: Set<UInt32>, completion: @escaping (Set<UInt32>) -> Void) {
        var online = Set(users.filter { isOnline($0) || (crossNodeState.seeded.contains($0) && isOnlineAnywhere($0)) })
        let unknown = users.filter { !online.contains($0) && !crossNodeState.seeded.contains($0) }
        guard crossNode != nil, !unknown.isEmpty else { return completion(online) }
        var completed = false
        let finish = { [self] (sessions: [UInt32: [(node: UInt16, entry: RemoteSessions)]]) in
            guard !completed else { return }
            completed = true
            for (user, entries) in sessions where entries.contains(where: { crossNodeState.liveNodes[$0.node] == $0.entry.instance }) {
                online.insert(user)
            }
            completion(online)
        }
        loop.scheduleTimer(after: .milliseconds(CrossNodeTiming.presenceReadMs)) { finish([:]) }
        readSessionHashes(Array(unknown)) { [self] hashes in
            let sessions = hashes.mapValues { otherNodesSessions($0) }
            let nodes = Set(sessions.values.joined().filter { crossNodeState.liveNodes[$0.node] != $0.entry.instance }.map(\.node))
            checkNodes(nodes) { finish(sessions) }
        }
    }

    // MARK: Liveness of other nodes

    /// Reads `node:<N>` of `nodes` (`GET`: the instance holding it) into `liveNodes`.
    func checkNodes(_ nodes: Set<UInt16>, completion: @escaping () -> Void) {
        guard let link = crossNode, !nodes.isEmpty else { return completion() }
        var remaining = nodes.count
        for node in nodes {
            let key = Keyspace.nodeHeartbeat(String(node))
            var encoder = RESPEncoder(reservingCapacity: 32)
            encoder.command("GET", key)
            link.submit(encoder.take(), 1, key) { [self] result in
                if case .success(let replies) = result, let reply = replies.first, reply.errorMessage == nil {
                    if let text = reply.string, let holder = UInt64(text) {
                        crossNodeState.liveNodes[node] = holder
                    } else if reply.isNull {
                        crossNodeState.liveNodes[node] = nil
                    }
                }
                remaining -= 1
                if remaining == 0 { completion() }
            }
        }
    }

    /// Every second: forgets users nobody watches any more, reads the heartbeat keys of
    /// the nodes that hold sessions of watched users, and tells watchers of users whose
    /// node died (its key expired or now names another instance).
    func checkRemoteNodes() {
        guard crossNode != nil else { return }
        for user in Array(crossNodeState.remote.keys) where watchers[user] == nil {
            crossNodeState.remote[user] = nil
            crossNodeState.told[user] = nil
            crossNodeState.seeded.remove(user)
            unsubscribeUserChannelIfUnused(user)
        }
        for user in Array(crossNodeState.told.keys) where watchers[user] == nil {
            crossNodeState.told[user] = nil
            crossNodeState.seeded.remove(user)
            unsubscribeUserChannelIfUnused(user)
        }
        var nodes = Set<UInt16>()
        for sessions in crossNodeState.remote.values {
            for (node, entry) in sessions where entry.online { nodes.insert(node) }
        }
        checkNodes(nodes) { [self] in
            for user in Array(crossNodeState.remote.keys) { notifyWatchersIfChanged(user) }
        }
        refreshWatchedSessions()
    }
}
