import Synchronization

/// What the chat service keeps about other nodes. Loop-bound, like the service.
///
/// - `rooms`: rooms other nodes may share (`CrossNodeRoom`); `echoes`: this node's
///   sequenced room messages waiting for their publication to come back, by id;
/// - `remote`, `seeded`, `told`: for users watched on this node, their sessions on other
///   nodes (from `sess:{U}` and the presence events of `user.{U}`), whether Valkey was read
///   for them, and the state last told to their watchers;
/// - `liveNodes`: the instance each heartbeat key `node:<N>` held when last read;
/// - `userChannels`: the `user.{U}` channels subscribed (local sessions or watchers);
/// - `spent`: rate tokens spent here since the last report, per user;
///   `reportsSkippedUntil`: users alone on this node as far as the last report showed.
final class CrossNodeState {
    var rooms: [UInt32: CrossNodeRoom] = [:]
    var echoes: [UInt64: PendingEcho] = [:] {
        didSet { pendingEchoes.store(echoes.count, ordering: .relaxed) }
    }
    /// `echoes.count`, readable from any thread (the drain waits for it).
    let pendingEchoes = Atomic<Int>(0)
    var remote: [UInt32: [UInt16: RemoteSessions]] = [:]
    var seeded: Set<UInt32> = []
    var told: [UInt32: Bool] = [:]
    var liveNodes: [UInt16: UInt64] = [:]
    var userChannels: Set<UInt32> = []
    var spent: [UInt32: Int] = [:]
    /// Users whose last report reached no other node, until when reports are skipped.
    var reportsSkippedUntil: [UInt32: Int64] = [:]
    var presenceSeq: UInt64 = 0
    /// Watched users whose `sess:{U}` is read again in the coming seconds, and how many per
    /// second (`ChatService.refreshWatchedSessions`).
    var refreshQueue: [UInt32] = []
    var refreshPerTick = 1
    /// Room messages delivered after a larger id (a room's first messages while another
    /// node joins it, or an echo that did not come back in time).
    let lateMessages = Atomic<Int>(0)
    /// Sequenced messages delivered without their echo (`ChatService.deliverOverdueEchoes`).
    let overdueEchoes = Atomic<Int>(0)
    /// Payloads from other nodes that did not decode.
    let malformed = Atomic<Int>(0)
}

extension CrossNodeState {
    /// Registers a sequenced message of room `room` waiting for its echo.
    func addEcho(_ echo: PendingEcho, room: UInt32) {
        echoes[echo.message.id] = echo
        rooms[room, default: CrossNodeRoom()].pendingEchoes += 1
    }

    /// Takes the waiting message `id` out, if it is waiting.
    @discardableResult
    func removeEcho(_ id: UInt64) -> PendingEcho? {
        guard let echo = echoes.removeValue(forKey: id) else { return nil }
        if case .room(let room) = echo.message.chat, let pending = rooms[room]?.pendingEchoes {
            rooms[room]?.pendingEchoes = max(0, pending - 1)
        }
        return echo
    }
}

/// One other node's sessions of a user: the node's instance, the change's sequence
/// number, and whether it holds any.
struct RemoteSessions: Sendable, Equatable {
    var instance: UInt64
    var seq: UInt64
    var online: Bool
}
