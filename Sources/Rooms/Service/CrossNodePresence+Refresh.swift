import Actors
import Shards

// MARK: - Presence: watched users read again

extension ChatService {
    /// Called every second: reads `sess:{U}` again for the next slice of the watched users,
    /// so that every one is read once per `presenceRefreshMs`. A presence event lost while
    /// this node's subscriber link reconnected (Valkey pub/sub is at most once) leaves a
    /// watched user's state wrong for that long at most, not until its next change.
    func refreshWatchedSessions() {
        if crossNodeState.refreshQueue.isEmpty {
            crossNodeState.refreshQueue = Array(crossNodeState.seeded)
            let ticks = max(1, configuration.presenceRefreshMs / CrossNodeTiming.liveCheckMs)
            crossNodeState.refreshPerTick = max(1, (crossNodeState.refreshQueue.count + Int(ticks) - 1) / Int(ticks))
        }
        let batch = Array(crossNodeState.refreshQueue.suffix(crossNodeState.refreshPerTick))
        crossNodeState.refreshQueue.removeLast(batch.count)
        let watched = batch.filter { watchers[$0] != nil && crossNodeState.seeded.contains($0) }
        guard !watched.isEmpty else { return }
        let readAtMs = now()
        readSessionHashes(watched) { [self] hashes in
            var unconfirmed = Set<UInt16>()
            for (user, fields) in hashes where watchers[user] != nil {
                unconfirmed.formUnion(replaceSessions(user, fields, readAtMs: readAtMs))
            }
            checkNodes(unconfirmed) { [self] in
                for user in hashes.keys { notifyWatchersIfChanged(user) }
            }
        }
    }

    /// The remote sessions of `user` as `sess:{U}` holds them, read at `readAtMs`: entries
    /// there are taken (unless an event already told of a newer change), and online
    /// entries missing there are marked offline, unless their change is less than a second
    /// older than the read (their event may have overtaken the hash). Returns the nodes whose
    /// instance is not confirmed live.
    private func replaceSessions(_ user: UInt32, _ fields: [RESPValue], readAtMs: Int64) -> Set<UInt16> {
        var sessions = crossNodeState.remote[user] ?? [:]
        var unconfirmed = Set<UInt16>()
        let found = otherNodesSessions(fields)
        for (node, entry) in found {
            if let known = sessions[node], known.instance == entry.instance, known.seq >= entry.seq { continue }
            sessions[node] = entry
            if crossNodeState.liveNodes[node] != entry.instance { unconfirmed.insert(node) }
        }
        let present = Set(found.map(\.node))
        for (node, entry) in sessions where entry.online && !present.contains(node) {
            let changedAtMs = Int64(clamping: entry.seq >> 12)
            guard changedAtMs < readAtMs - 1000 else { continue }
            sessions[node]?.online = false
        }
        crossNodeState.remote[user] = sessions
        return unconfirmed
    }
}
