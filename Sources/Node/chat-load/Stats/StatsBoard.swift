import Synchronization

/// Where workers publish their counts and the main thread reads them: one slot per
/// worker, each behind its own lock, so workers never contend with each other.
///
/// A worker counts into a private `LoadStats` on its loop thread and adds it to its slot
/// every 50 ms and at the end (one lock per publish, not per event); the main thread sums
/// the slots for the progress line and the summary, and takes the windows (the latencies
/// since the last progress line) for the "current p99".
final class StatsBoard: Sendable {
    /// One worker's slot (a class: a `Mutex` cannot live in an array).
    private final class Slot: Sendable {
        let stats = Mutex(LoadStats())
    }

    private let slots: [Slot]
    private let done = Atomic<Int>(0)

    init(workers: Int) {
        slots = (0..<workers).map { _ in Slot() }
    }

    /// Adds a worker's delta to its slot.
    func publish(worker: Int, _ delta: LoadStats) {
        slots[worker].stats.withLock { $0.add(delta) }
    }

    /// A worker has stopped and published its last counts.
    func markDone(worker: Int) {
        done.add(1, ordering: .releasing)
    }

    /// Whether every worker has stopped.
    var allDone: Bool { done.load(ordering: .acquiring) >= slots.count }

    /// The counters of every worker, summed.
    func counters() -> LoadCounters {
        var total = LoadCounters()
        for slot in slots { total.add(slot.stats.withLock { $0.counters }) }
        return total
    }

    /// The end-to-end latencies recorded since the last call, all workers merged; the
    /// windows are emptied.
    func takeWindow() -> LatencyHistogram {
        var merged = LatencyHistogram()
        for slot in slots {
            slot.stats.withLock { stats in
                merged.merge(stats.window)
                stats.window.reset()
            }
        }
        return merged
    }

    /// Everything, all workers merged.
    func total() -> LoadStats {
        var total = LoadStats()
        for slot in slots { slot.stats.withLock { total.add($0) } }
        return total
    }
}
