import Actors
import Gateway
import Synchronization

/// Counters of the chat service, atomics so `/metrics` and the control socket read them
/// from any thread without a hop onto the loop (and the fan-out path takes no lock).
/// Everything here costs a few relaxed atomic adds per message, never one per recipient.
public final class ChatCounters: Sendable {
    /// WebSocket messages received from clients (text and binary), valid or not.
    public let received = Atomic<Int>(0)
    /// Decoded client commands by the priority class of what they produce
    /// (`ClientCommand.priority`); `received` minus their total were not valid commands.
    public let receivedByPriority = PriorityCounts()
    /// Frames handed to recipients by room, DM, presence and admin fan-out (one per recipient).
    public let delivered = Atomic<Int>(0)
    /// `delivered`, by priority class.
    public let deliveredByPriority = PriorityCounts()
    /// Events shed by the degradation level before fan-out (LOW at `high` and above), one
    /// per event.
    public let droppedByLevel = PriorityCounts()
    /// Recipients skipped because their connection is idle (LOW events), one per recipient.
    public let droppedIdle = PriorityCounts()
    /// Sends refused by the per-user rate limit.
    public let rateLimited = Atomic<Int>(0)
    /// Admin broadcasts sent from the control socket.
    public let adminBroadcasts = Atomic<Int>(0)
    /// From a `send` (or `dm`) being handled to its ack being queued for the sender, after
    /// the store (the Valkey round trip) confirmed it.
    public let storeToAck = Histogram.latency()
    /// From a room message being handled to its frames being queued for every local
    /// recipient (or held for a paced batch).
    public let fanOutLocal = Histogram.latency()
    /// From a room message of another node arriving from the subscriber link to its frames
    /// being queued for every local recipient (or held for a paced batch).
    public let fanOutRemote = Histogram.latency()
    /// Room deliveries held for a paced batch (NORMAL at `high`, room traffic at `critical`).
    public let paced = Atomic<Int>(0)

    init() {}

    /// Counts `count` frames of `priority` handed to recipients.
    @inline(__always)
    func noteDelivered(_ count: Int, _ priority: MessagePriority) {
        delivered.wrappingAdd(count, ordering: .relaxed)
        deliveredByPriority.add(priority, count)
    }

    /// The monotonic clock in nanoseconds, for the start of a latency measurement.
    @inline(__always)
    static func start() -> UInt64 { MonotonicClock.nanoseconds() }
}

extension Histogram {
    /// Records the nanoseconds elapsed since `start` (from `ChatCounters.start()`).
    @inline(__always)
    func recordElapsed(since start: UInt64) {
        let now = MonotonicClock.nanoseconds()
        record(now > start ? Int(truncatingIfNeeded: now &- start) : 0)
    }
}
