import Synchronization

/// Counters of the chat service, atomics so `/metrics` and the control socket read them
/// from any thread without a hop onto the loop (and the fan-out path takes no lock).
public final class ChatCounters: Sendable {
    /// WebSocket messages received from clients (text and binary).
    public let received = Atomic<Int>(0)
    /// Frames handed to recipients by room and admin fan-out (one per recipient).
    public let delivered = Atomic<Int>(0)
    /// Sends refused by the per-user rate limit.
    public let rateLimited = Atomic<Int>(0)
    /// Admin broadcasts sent from the control socket.
    public let adminBroadcasts = Atomic<Int>(0)
    /// Room deliveries held for a paced batch (NORMAL at `high`, room traffic at `critical`).
    public let paced = Atomic<Int>(0)

    init() {}
}
