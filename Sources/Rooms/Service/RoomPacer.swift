import Gateway

/// One room's pacing of its broadcasts under load (DESIGN.md, "Load and degradation"):
/// at `high` NORMAL receivers, at `critical` every receiver of room traffic, get the room's
/// messages in batches, at most one batch per room per second. Messages are delayed,
/// never skipped: a batch carries every message held since the last one, in id order.
///
/// ```
/// t=0     msg 1 ──> batch [1] at once (no batch in the last second)
/// t=0.2   msg 2 ──> held
/// t=0.7   msg 3 ──> held
/// t=1.0   ────────> batch [2, 3] (one loop round: one writev per connection)
/// ```
///
/// Pure: times are milliseconds given by the caller; the chat service carries out the
/// decisions (timers, gateway). It also remembers which connections were active in the
/// room recently (the HIGH class: they are not paced at `high`).
struct RoomPacer {
    /// A message (or edit) held for the next batch.
    struct Held {
        /// Sort key: the message id (an edit carries the id of the message it edits).
        let key: UInt64
        /// Its frames and the receivers chosen when it was posted.
        let delivery: Delivery
    }

    /// What to do with an offered delivery.
    enum Decision: Equatable {
        /// Deliver now: no batch left within the last interval (this one counts as a batch).
        case now
        /// Held; the batch is due at `dueMs`. `schedule` is true for the first message held
        /// (the caller arms one timer per batch, not per message).
        case held(dueMs: Int64, schedule: Bool)
        /// Held, and the batch reached its bound: deliver the batch now.
        case flush
    }

    /// At most one batch per this many milliseconds.
    static let intervalMs: Int64 = 1000
    /// A batch is sent early when it holds this many messages (bounded memory).
    static let maxHeld = 1000
    /// A connection that did something in the room within this window is HIGH class.
    static let activeWindowMs: Int64 = 5 * 60 * 1000

    private(set) var held: [Held] = []
    private(set) var lastBatchMs: Int64?
    /// Last activity of each connection in the room (send, typing, read, edit, history).
    private(set) var active: [ConnectionID: Int64] = [:]

    /// Whether nothing is held.
    var isEmpty: Bool { held.isEmpty }

    /// Offers a delivery to the paced receivers.
    mutating func offer(_ delivery: Delivery, key: UInt64, nowMs: Int64) -> Decision {
        if held.isEmpty, lastBatchMs.map({ nowMs - $0 >= Self.intervalMs }) ?? true {
            lastBatchMs = nowMs
            return .now
        }
        held.append(Held(key: key, delivery: delivery))
        if held.count >= Self.maxHeld { return .flush }
        return .held(dueMs: (lastBatchMs ?? nowMs) + Self.intervalMs, schedule: held.count == 1)
    }

    /// Takes the held deliveries, in key order (stable: an edit follows its message).
    mutating func takeBatch(nowMs: Int64) -> [Delivery] {
        guard !held.isEmpty else { return [] }
        let batch = held.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }
        held.removeAll(keepingCapacity: false)
        lastBatchMs = nowMs
        return batch.map { $0.element.delivery }
    }

    /// Records activity of `connection` in the room.
    mutating func noteActive(_ connection: ConnectionID, nowMs: Int64) {
        active[connection] = nowMs
    }

    /// Whether `connection` was active in the room within the window (HIGH class).
    func isActive(_ connection: ConnectionID, nowMs: Int64) -> Bool {
        guard let last = active[connection] else { return false }
        return nowMs - last < Self.activeWindowMs
    }

    /// Forgets activity older than the window; true when the pacer holds nothing worth
    /// keeping (nothing held, nobody active, no batch within the interval).
    mutating func prune(nowMs: Int64) -> Bool {
        active = active.filter { nowMs - $0.value < Self.activeWindowMs }
        let batchedRecently = lastBatchMs.map { nowMs - $0 < Self.intervalMs } ?? false
        return held.isEmpty && active.isEmpty && !batchedRecently
    }
}
