import Synchronization

/// A histogram for metrics: a fixed array of bucket counters (atomics) plus a sum, cheap
/// enough for the message path: recording is a short scan of the bounds and two relaxed
/// atomic adds, no lock, no allocation.
///
/// Values are integers in the histogram's unit (nanoseconds for latencies, commands for
/// batch sizes); `unitsPerBase` converts them for the exposition (1e9: nanoseconds written
/// as seconds, the Prometheus base unit). A value lands in the first bucket whose upper
/// bound is at least the value (Prometheus' `le`, "less than or equal"); values above every
/// bound land in the overflow bucket (`le="+Inf"`).
///
/// ```
/// bounds   50µs   100µs   250µs  ...   5s    +Inf
/// cells  [  3  |   7   |   1   | ... |  0  |   0  ]   per bucket (what record adds to)
/// le       3      10      11    ...   11     11      cumulative (what /metrics shows)
/// ```
///
/// The counts are read one by one while others may record, so a snapshot may be a few
/// observations behind on some buckets; its `count` is the sum of its buckets, so `_count`
/// and the `+Inf` bucket always agree.
public final class Histogram: @unchecked Sendable {
    /// Upper bounds of the buckets, ascending, in the histogram's unit.
    public let bounds: [Int]
    /// Units per base unit of the exposition (1e9 for nanoseconds written as seconds).
    public let unitsPerBase: Double
    /// `bounds.count + 1` counters, the last one for values above every bound. Allocated
    /// once and never moved (atomics need a stable address); `@unchecked Sendable` because
    /// only atomics live there.
    private let cells: UnsafeMutablePointer<Atomic<Int>>
    private let total = Atomic<Int>(0)

    /// A histogram with these bucket bounds (ascending, at least one).
    public init(bounds: [Int], unitsPerBase: Double = 1) {
        precondition(!bounds.isEmpty && zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 },
                     "histogram bounds must be ascending and not empty")
        self.bounds = bounds
        self.unitsPerBase = unitsPerBase
        cells = .allocate(capacity: bounds.count + 1)
        for index in 0...bounds.count { (cells + index).initialize(to: Atomic(0)) }
    }

    deinit {
        cells.deinitialize(count: bounds.count + 1)
        cells.deallocate()
    }

    /// Records one observation (negative values count as 0).
    @inline(__always)
    public func record(_ value: Int) {
        let value = max(0, value)
        var index = 0
        bounds.withUnsafeBufferPointer { bounds in
            while index < bounds.count && value > bounds[index] { index += 1 }
        }
        cells[index].add(1, ordering: .relaxed)
        total.wrappingAdd(value, ordering: .relaxed)
    }

    /// The counts now.
    public func snapshot() -> HistogramSnapshot {
        let counts = (0...bounds.count).map { cells[$0].load(ordering: .relaxed) }
        return HistogramSnapshot(bounds: bounds, counts: counts, sum: total.load(ordering: .relaxed), unitsPerBase: unitsPerBase)
    }
}

// MARK: - Bucket layouts used by the node

extension Histogram {
    /// Latency bounds from 50 µs to 5 s, in nanoseconds (a 1-2.5-5 series).
    public static let latencyBoundsNanoseconds: [Int] = [
        50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000, 500_000_000,
        1_000_000_000, 2_500_000_000, 5_000_000_000,
    ]

    /// Batch size bounds in commands: powers of two up to 1024.
    public static let batchSizeBounds: [Int] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

    /// A latency histogram: recorded in nanoseconds, written in seconds.
    public static func latency() -> Histogram {
        Histogram(bounds: latencyBoundsNanoseconds, unitsPerBase: 1e9)
    }

    /// A histogram of batch sizes (commands per flush).
    public static func batchSizes() -> Histogram {
        Histogram(bounds: batchSizeBounds)
    }
}
