import Actors
import Gateway

// MARK: - Room lifecycle under the rooms supervisor, and presence

extension ChatService {
    /// The active room `id`, started (and put under the rooms supervisor) when needed.
    func activeRoom(_ id: UInt32) -> Room {
        if let room = rooms[id] { return room }
        let room = Room(id: id, loop: loop, nowMs: now())
        rooms[id] = room
        crossNodeRoomStarted(id)
        if let supervisor = roomsSupervisor {
            let spec = roomChildSpec(id)
            Task {
                // A previous incarnation that went idle may still be listed: clear it first.
                try? await supervisor.deleteChild(spec.id)
                do { try await supervisor.startChild(spec) } catch {
                    Log.warn("room.start_failed", ["room": spec.id, "error": String(describing: error)])
                }
            }
        }
        return room
    }

    /// The supervised child of room `id`: its run loop waits inside the room; after a
    /// kill the next incarnation is a fresh room rebuilt from the sessions.
    func roomChildSpec(_ id: UInt32) -> ChildSpec {
        ChildSpec(id: String(id), restart: .transient, shutdown: .brutalKill) { [self] context in
            let room = await onLoop { self.room(id, incarnation: context.incarnation) }
            await room.run(context)
        }
    }

    private func room(_ id: UInt32, incarnation: Int) -> Room {
        if incarnation <= 1, let existing = rooms[id] { return existing }
        let fresh = Room(id: id, loop: loop, nowMs: now())
        // The cid window survives the restart, so a retried send is still recognised.
        if let old = rooms[id] {
            let acks = old.assumeIsolated { $0.acks }
            fresh.assumeIsolated { $0.acks = acks }
        }
        for session in sessions.values where session.rooms.contains(id) {
            fresh.assumeIsolated { $0.subscribe(session.connection, binary: session.binary) }
        }
        rooms[id] = fresh
        Log.info("room.rebuilt", ["room": String(id), "incarnation": String(incarnation)])
        return fresh
    }

    /// Runs `body` on the loop thread and returns its result.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            loop.execute { continuation.resume(returning: body()) }
        }
    }

    /// Stops rooms without subscribers that have been quiet for `roomIdleMs`.
    func sweepIdleRooms() {
        let time = now()
        let idleMs = configuration.roomIdleMs
        for (id, room) in rooms where room.assumeIsolated({ $0.isIdle(nowMs: time, idleMs: idleMs) }) {
            rooms[id] = nil
            crossNodeRoomStopped(id)
            room.assumeIsolated { $0.stop() }
            if let supervisor = roomsSupervisor {
                Task { try? await supervisor.deleteChild(String(id)) }
            }
        }
    }

    /// The user's first connection here opened or the last one closed (with other nodes:
    /// recorded in Valkey, and watchers told only when the user's state anywhere changed).
    func presenceChanged(_ user: UInt32, online: Bool) {
        if crossNode != nil { return crossNodeLocalPresence(user, online: online) }
        tellWatchers(user, online: online)
    }

    /// Tells the watchers of `user` that they came online or went offline.
    func tellWatchers(_ user: UInt32, online: Bool) {
        guard !level.dropsLowEvents, let watching = watchers[user]?.subtracting(idleConnections), !watching.isEmpty,
              let gateway else { return }
        let message = OutboundMessage(payload: ServerEventEncoder.presenceChange(user: user, online: online), priority: .low)
        counters.noteDelivered(watching.count, .low)
        gateway.assumeIsolated { $0.broadcast(message, to: watching) }
    }
}
