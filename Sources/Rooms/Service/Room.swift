import Actors
import Gateway
import Synchronization

/// One active room on this node: its local subscribers, the messages buffered for
/// connections still joining, cid deduplication, typing throttling.
///
/// An actor on the node's loop executor, entered synchronously (`assumeIsolated`) by the
/// chat service on the loop thread; every method here is synchronous and returns frames to
/// deliver, built once. Its supervised run loop only waits: a room that is killed is
/// replaced by a fresh one rebuilt from the sessions (subscribers) and the store (history),
/// so its subscribers keep receiving.
public actor Room: Inspectable {
    /// The room id.
    public nonisolated let id: UInt32
    /// The loop it runs on.
    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    struct DedupeKey: Hashable, Sendable {
        let user: UInt32
        let cid: String
    }


    var jsonSubscribers: Set<ConnectionID> = []
    var binarySubscribers: Set<ConnectionID> = []
    var joining: [ConnectionID: [(id: UInt64, delivery: OutboundMessage, binary: OutboundMessage?)]] = [:]
    var acks = AckMemory<DedupeKey>(windowMs: Room.dedupeWindowMs, limit: Room.maxRememberedAcks)
    var pendingAcks: Set<DedupeKey> = []
    var typingForwarded: [UInt32: Int64] = [:]
    var lastActivityMs: Int64
    var recentMessages: [Int64] = []
    var stopContinuation: CheckedContinuation<Void, Never>?
    nonisolated let processedCounter = Atomic<Int>(0)
    nonisolated let subscriberCount = Atomic<Int>(0)

    /// How long a cid is remembered (the contract's dedupe window).
    public static let dedupeWindowMs: Int64 = 5 * 60 * 1000
    /// At most this many cids are remembered per room (the oldest go first).
    public static let maxRememberedAcks = 16_384

    /// A room with no subscribers yet.
    public init(id: UInt32, loop: EventLoop, nowMs: Int64) {
        self.id = id
        self.loop = loop
        self.lastActivityMs = nowMs
    }

    // MARK: Subscribers

    /// Starts a join: messages for this connection are buffered until `activate`. A
    /// connection that joins again while subscribed stops receiving live messages until
    /// then, so none reaches it twice.
    public func beginJoin(_ connection: ConnectionID) {
        jsonSubscribers.remove(connection)
        binarySubscribers.remove(connection)
        if joining[connection] == nil { joining[connection] = [] }
        updateCount()
    }

    /// Ends a join: the connection becomes a live subscriber and gets the buffered
    /// messages newer than the history it was sent, or, given the ids of that history,
    /// the buffered messages above `since` that it did not carry (with several nodes the
    /// newest id in history can come from another node while a lower id of this one was
    /// still on its way to storage).
    public func activate(_ connection: ConnectionID, binary: Bool, after lastID: UInt64,
                         history: Set<UInt64>? = nil, since: UInt64 = 0) -> [OutboundMessage] {
        let buffered = joining.removeValue(forKey: connection) ?? []
        if binary { binarySubscribers.insert(connection) } else { jsonSubscribers.insert(connection) }
        updateCount()
        let wanted: (UInt64) -> Bool = history.map { ids in { $0 > since && !ids.contains($0) } } ?? { $0 > lastID }
        return buffered.filter { wanted($0.id) }.map { binary ? ($0.binary ?? $0.delivery) : $0.delivery }
    }

    /// Adds a live subscriber at once (a rebuilt room).
    public func subscribe(_ connection: ConnectionID, binary: Bool) {
        if binary { binarySubscribers.insert(connection) } else { jsonSubscribers.insert(connection) }
        updateCount()
    }

    /// Removes a connection (leave, close).
    public func unsubscribe(_ connection: ConnectionID) {
        jsonSubscribers.remove(connection)
        binarySubscribers.remove(connection)
        joining[connection] = nil
        updateCount()
    }

    /// Moves a connection to binary frames.
    public func switchToBinary(_ connection: ConnectionID) {
        if jsonSubscribers.remove(connection) != nil { binarySubscribers.insert(connection) }
    }

    /// Whether the connection is subscribed (live or joining).
    public func isSubscribed(_ connection: ConnectionID) -> Bool {
        jsonSubscribers.contains(connection) || binarySubscribers.contains(connection) || joining[connection] != nil
    }

    private func updateCount() {
        subscriberCount.store(jsonSubscribers.count + binarySubscribers.count + joining.count, ordering: .relaxed)
    }

    /// True when nobody is subscribed and nothing happened for `idleMs`.
    public func isIdle(nowMs: Int64, idleMs: Int64) -> Bool {
        jsonSubscribers.isEmpty && binarySubscribers.isEmpty && joining.isEmpty && nowMs - lastActivityMs >= idleMs
    }
}
