import Gateway

/// What one node knows of a room that other nodes may share: whether they subscribe to it
/// (then its messages are *sequenced*), and the newest id delivered here. Pure.
///
/// ```
///  alone        send ──▶ deliver here at once ──▶ store + publish (one script)
///  sequenced    send ──▶ store + publish (one script, refused unless newest) ──▶ channel
///               channel ──▶ every node, the sender too, delivers in channel order
/// ```
///
/// A room's history and channel live on one Valkey server (shard or slot), and the append
/// script (`ValkeyChatStore.appendRoomMessage`) stores and publishes in one atomic step,
/// refusing an id that is not the room's newest: so the channel carries the room's
/// messages in id order, and every node that delivers them in channel order delivers them
/// in id order, however late they arrive. A node alone in a room skips the round trip.
struct CrossNodeRoom {
    /// Whether other nodes are known to subscribe (their interest announcement, a message
    /// of theirs, or more than one subscriber reached by this node's last publish).
    var peersSubscribed = false
    /// The newest message id delivered here.
    private(set) var lastDeliveredID: UInt64 = 0
    /// This node's sequenced messages of the room still waiting for their echo.
    var pendingEchoes = 0

    /// Whether the room's messages go sequenced: while other nodes subscribe, and until
    /// the echoes of the last sequenced messages are back (a message sent alone must not
    /// overtake them here).
    var isSequenced: Bool { peersSubscribed || pendingEchoes > 0 }

    /// Connections that finished joining lately, with the ids their `joined` history
    /// carried: a message of the room can reach a node live after a joiner's history read
    /// already returned it (the publish and the read go to Valkey on different links), and
    /// is then not sent to that joiner again.
    private var recentJoins: [ConnectionID: (ids: Set<UInt64>, atMs: Int64)] = [:]
    /// How long a join's history is remembered (twice the echo wait: a message delivered on
    /// the echo fallback may come that late).
    static let joinMemoryMs: Int64 = 2 * CrossNodeTiming.ownEchoWaitMs

    /// Notes that `connection` joined at `nowMs` with the history ids `history`.
    mutating func noteJoined(_ connection: ConnectionID, history: Set<UInt64>, nowMs: Int64) {
        forgetOldJoins(nowMs: nowMs)
        if !history.isEmpty { recentJoins[connection] = (history, nowMs) }
    }

    /// Notes that `id` is delivered at `nowMs`: whether it comes in order (false when a
    /// larger id was delivered before it: late), and the joiners whose history had it.
    mutating func deliver(_ id: UInt64, nowMs: Int64) -> (inOrder: Bool, alreadyHave: [ConnectionID]) {
        let inOrder = id > lastDeliveredID
        if inOrder { lastDeliveredID = id }
        guard !recentJoins.isEmpty else { return (inOrder, []) }
        forgetOldJoins(nowMs: nowMs)
        return (inOrder, recentJoins.filter { $0.value.ids.contains(id) }.map(\.key))
    }

    private mutating func forgetOldJoins(nowMs: Int64) {
        guard recentJoins.contains(where: { nowMs - $0.value.atMs > Self.joinMemoryMs }) else { return }
        recentJoins = recentJoins.filter { nowMs - $0.value.atMs <= Self.joinMemoryMs }
    }
}

/// A room message of this node sent sequenced: delivered here when its publication comes
/// back on the room's channel, or at `deadlineMs` (`CrossNodeTiming.ownEchoWaitMs` after
/// the send) if it has not by then: a shard that is down or slow holds local delivery that
/// long at most. Its sender's ack goes once it is delivered here and stored.
struct PendingEcho {
    let message: ChatMessage
    /// The sender's connection (it gets an ack, not the message).
    let except: ConnectionID?
    /// When the command arrived (`ChatCounters.start()`), for the local fan-out time.
    let started: UInt64
    /// When it is delivered here even without its echo.
    let deadlineMs: Int64
    /// The sender's ack, once the store answered.
    var ack: (() -> Void)?
}
