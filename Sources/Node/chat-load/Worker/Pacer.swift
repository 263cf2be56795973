/// A total rate spread over time: how many sends are due at `now`, given how many were
/// issued. Pure: the clock is passed in.
///
/// After a stall (the loop was busy, the process descheduled) the backlog is sent at the
/// next tick, so the offered rate holds; beyond one second of backlog the excess is
/// dropped and counted (`skipped`): a generator that far behind measures itself.
struct RatePacer: Sendable {
    let perSecond: Double
    let start: UInt64
    private(set) var issued: UInt64 = 0
    private(set) var skipped: UInt64 = 0

    init(perSecond: Double, start: UInt64) {
        self.perSecond = perSecond
        self.start = start
    }

    /// The number of sends due now; counts them as issued.
    mutating func due(now: UInt64) -> Int {
        guard now > start, perSecond > 0 else { return 0 }
        let target = UInt64(Double(now - start) / 1e9 * perSecond)
        guard target > issued else { return 0 }
        let cap = UInt64(perSecond) + 1
        if target - issued > cap {
            skipped &+= target - cap - issued
            issued = target - cap
        }
        let count = target - issued
        issued = target
        return Int(count)
    }
}

/// Bursts at `start`, `start + gap`, ...: whether the next one is due.
struct BurstPacer: Sendable {
    let count: Int
    let gap: UInt64
    let start: UInt64
    private(set) var fired = 0

    /// True once per burst, when its time has come.
    mutating func due(now: UInt64) -> Bool {
        guard fired < count, now >= start &+ UInt64(fired) &* gap else { return false }
        fired += 1
        return true
    }
}

/// Per-connection random intervals: a min-heap of (due time, connection slot).
struct IntervalSchedule: Sendable {
    let minimum: UInt64
    let maximum: UInt64
    private var heap: [(due: UInt64, slot: Int)] = []
    private var random: UInt64

    init(minimum: Double, maximum: Double, seed: UInt64) {
        self.minimum = UInt64(minimum * 1e9)
        self.maximum = UInt64(max(minimum, maximum) * 1e9)
        self.random = seed | 1
    }

    var count: Int { heap.count }

    /// Schedules `slot`'s next send: after a random interval, or (the first time) at a
    /// random point of the first interval, so connections that join together do not send
    /// together.
    mutating func schedule(_ slot: Int, now: UInt64, first: Bool) {
        let low = first ? 0 : minimum
        let span = maximum - low
        let offset = low + (span == 0 ? 0 : nextRandom() % (span + 1))
        push((now &+ offset, slot))
    }

    /// Removes and returns the slots due at `now`.
    mutating func popDue(now: UInt64, into slots: inout [Int]) {
        while let top = heap.first, top.due <= now {
            slots.append(top.slot)
            pop()
        }
    }

    private mutating func nextRandom() -> UInt64 {
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        return random
    }

    private mutating func push(_ entry: (due: UInt64, slot: Int)) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() {
        guard !heap.isEmpty else { return }
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = parent * 2 + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count && heap[right].due < heap[smallest].due { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// When connection `index` (global) should open, in nanoseconds after the run's start.
///
/// Ramp: the first `start` at the connect rate, the rest spread evenly over the ramp.
/// Other scenarios: all at the connect rate.
struct OpenSchedule: Sendable {
    let connections: Int
    let start: Int
    let rampNanos: Double
    let connectRate: Double
    let ramp: Bool

    func openTime(of index: Int) -> UInt64 {
        let byRate = Double(index) / connectRate * 1e9
        guard ramp, index >= start, connections > start else { return UInt64(byRate) }
        let share = Double(index - start + 1) / Double(connections - start)
        return UInt64(max(byRate, share * rampNanos))
    }
}
