/// A hashed timer wheel for per-connection deadlines (handshake timeout, idle ping, pong
/// timeout) without a task or heap entry per connection and without touching the wheel
/// on every read.
///
/// Deadlines are whole ticks (the gateway ticks once a second). A key sits in the slot of
/// its deadline; `advance(to:)` returns the keys whose slot came due, and the owner checks
/// each connection's real deadline (it may have moved on since) and re-inserts it if it
/// is not due yet. That lazy check is what keeps activity free.
///
/// ```
/// slots:  [0] [1] [2] ... [63]      key k with deadline d lives in slot d % 64
/// advance(to: t) visits slots (last+1)...t and returns keys with deadline <= t
/// ```
public struct TimerWheel<Key: Hashable> {
    private var slots: [[(key: Key, deadline: UInt64)]]
    /// The last tick processed.
    public private(set) var now: UInt64

    /// A wheel starting at tick `now` with `slotCount` slots.
    public init(now: UInt64 = 0, slotCount: Int = 64) {
        self.slots = Array(repeating: [], count: max(1, slotCount))
        self.now = now
    }

    /// Entries in the wheel (a key may be present more than once if inserted twice).
    public var count: Int { slots.reduce(0) { $0 + $1.count } }

    /// Schedules `key` at tick `deadline` (past deadlines fire on the next advance).
    public mutating func insert(_ key: Key, at deadline: UInt64) {
        let due = max(deadline, now + 1)
        slots[Int(due % UInt64(slots.count))].append((key, due))
    }

    /// Moves to tick `tick` and returns the keys whose deadline is at or before it.
    public mutating func advance(to tick: UInt64) -> [Key] {
        guard tick > now else { return [] }
        var fired: [Key] = []
        let steps = min(tick - now, UInt64(slots.count))
        for step in 1...steps {
            let index = Int((now + step) % UInt64(slots.count))
            guard !slots[index].isEmpty else { continue }
            var kept: [(key: Key, deadline: UInt64)] = []
            for entry in slots[index] {
                if entry.deadline <= tick { fired.append(entry.key) } else { kept.append(entry) }
            }
            slots[index] = kept
        }
        now = tick
        return fired
    }
}
