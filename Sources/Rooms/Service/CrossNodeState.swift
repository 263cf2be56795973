import Synchronization

/// What the chat service keeps about other nodes. Loop-bound, like the service.
///
/// - `orders`: the hold-back buffers of rooms with traffic from several nodes;
/// - `remote`, `seeded`, `told`: for users watched on this node, their sessions on other
///   nodes (from `sess:{U}` and the presence events of `user.{U}`), whether Valkey was read
///   for them, and the state last told to their watchers;
/// - `liveNodes`: the instance each heartbeat key `node:<N>` held when last read;
/// - `userChannels`: the `user.{U}` channels subscribed (local sessions or watchers);
/// - `spent`: rate tokens spent here since the last report, per user;
///   `reportsSkippedUntil`: users alone on this node as far as the last report showed.
final class CrossNodeState {
    var orders: [UInt32: CrossNodeOrder] = [:]
    /// Acks of stored messages still held by their room's order window, by message id:
    /// sent when the message is released (`ChatService.ackAfterRelease`).
    var acksAfterRelease: [UInt64: () -> Void] = [:]
    var remote: [UInt32: [UInt16: RemoteSessions]] = [:]
    var seeded: Set<UInt32> = []
    var told: [UInt32: Bool] = [:]
    var liveNodes: [UInt16: UInt64] = [:]
    var userChannels: Set<UInt32> = []
    var spent: [UInt32: Int] = [:]
    /// Users whose last report reached no other node, until when reports are skipped.
    var reportsSkippedUntil: [UInt32: Int64] = [:]
    var presenceSeq: UInt64 = 0
    /// Room messages delivered after a larger id (arrived later than the window).
    let lateMessages = Atomic<Int>(0)
    /// Payloads from other nodes that did not decode.
    let malformed = Atomic<Int>(0)
}

/// One other node's sessions of a user: the node's instance, the change's sequence
/// number, and whether it holds any.
struct RemoteSessions: Sendable, Equatable {
    var instance: UInt64
    var seq: UInt64
    var online: Bool
}
