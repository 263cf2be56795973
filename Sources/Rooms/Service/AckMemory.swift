/// The acks a room remembers by (user, cid) for its dedupe window: a dictionary for the
/// lookups and a queue in the order they were remembered for the expiry, so remembering
/// one costs O(1) amortized however busy the room is (a filter of the whole table on every
/// ack, as before, cost O(n) per message once a room passed about 14 messages a second).
///
/// Bounded: past `limit` entries the oldest are forgotten before their window ends (a room
/// above `limit` messages in the window, e.g. 16,384 in 5 minutes = 55 a second, dedupes
/// resends over a shorter time). Pure.
struct AckMemory<Key: Hashable & Sendable>: Sendable {
    /// One remembered ack.
    struct Ack: Equatable, Sendable {
        let id: UInt64
        let ts: Int64
        let atMs: Int64
    }

    let windowMs: Int64
    let limit: Int
    private var byKey: [Key: Ack] = [:]
    private var order: [(key: Key, atMs: Int64)] = []
    private var head = 0

    init(windowMs: Int64, limit: Int) {
        self.windowMs = windowMs
        self.limit = max(1, limit)
    }

    /// Acks remembered (some may be past the window until the next `remember`).
    var count: Int { byKey.count }

    /// The ack of `key`, if remembered within the window at `nowMs`.
    func ack(for key: Key, nowMs: Int64) -> Ack? {
        guard let ack = byKey[key], nowMs - ack.atMs < windowMs else { return nil }
        return ack
    }

    /// Remembers `ack` for `key`, then forgets what left the window or the limit.
    mutating func remember(_ key: Key, _ ack: Ack) {
        byKey[key] = ack
        order.append((key, ack.atMs))
        while head < order.count {
            let oldest = order[head]
            guard ack.atMs - oldest.atMs >= windowMs || order.count - head > limit else { break }
            // Only if not remembered again since (a newer entry for the key is further on).
            if byKey[oldest.key]?.atMs == oldest.atMs { byKey[oldest.key] = nil }
            head += 1
        }
        if head >= 1024 && head * 2 >= order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
