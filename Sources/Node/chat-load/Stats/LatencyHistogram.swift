/// A log-linear histogram of durations in nanoseconds, in the manner of HdrHistogram: exact
/// below 256 ns, then 128 linear sub-buckets per power of two, so any recorded value is
/// known to within 1/128 (0.8 %) whatever its size, in a fixed 7,424 counters.
///
/// ```
/// value bits:  m = 64 - leadingZeros(v)
/// v < 256:     index = v                                   (exact)
/// v >= 256:    shift = m - 8, sub = v >> shift  (128 ... 255)
///              index = 256 + (shift - 1) * 128 + (sub - 128)
/// ```
///
/// Percentiles are reported as the largest value the bucket can hold, capped by the
/// largest value recorded: never below the true percentile, at most 0.8 % above it.
/// Recording is a shift, a subtraction and an increment: cheap enough for every delivery.
struct LatencyHistogram: Sendable {
    static let subBits = 8
    static let exactCount = 1 << subBits
    static let half = exactCount >> 1
    static let bucketCount = exactCount + (64 - subBits) * half

    private(set) var counts: [UInt64]
    private(set) var total: UInt64 = 0
    private(set) var minimum: UInt64 = .max
    private(set) var maximum: UInt64 = 0
    /// Sum of all values, for the mean (wraps only past 584 years of latency).
    private(set) var sum: UInt64 = 0
    /// Lowest and highest bucket touched: merging and resetting visit only that range.
    private var lowIndex = Int.max
    private var highIndex = -1

    init() {
        counts = [UInt64](repeating: 0, count: Self.bucketCount)
    }

    var isEmpty: Bool { total == 0 }

    /// The bucket of `value`.
    static func index(of value: UInt64) -> Int {
        if value < UInt64(exactCount) { return Int(value) }
        let bits = 64 - value.leadingZeroBitCount
        let shift = bits - subBits
        let sub = Int(truncatingIfNeeded: value >> UInt64(shift))
        return exactCount + (shift - 1) * half + (sub - half)
    }

    /// The largest value that falls into bucket `index`.
    static func highestValue(at index: Int) -> UInt64 {
        if index < exactCount { return UInt64(index) }
        let shift = (index - exactCount) / half + 1
        let sub = UInt64((index - exactCount) % half + half)
        let low = sub << UInt64(shift)
        let width = UInt64(1) << UInt64(shift)
        return low &+ (width - 1)
    }

    /// Records one value.
    mutating func record(_ value: UInt64) {
        let index = Self.index(of: value)
        counts[index] &+= 1
        total &+= 1
        sum &+= value
        if value < minimum { minimum = value }
        if value > maximum { maximum = value }
        if index < lowIndex { lowIndex = index }
        if index > highIndex { highIndex = index }
    }

    /// Adds every count of `other`.
    mutating func merge(_ other: LatencyHistogram) {
        guard !other.isEmpty else { return }
        for index in other.lowIndex...other.highIndex where other.counts[index] != 0 {
            counts[index] &+= other.counts[index]
        }
        total &+= other.total
        sum &+= other.sum
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        lowIndex = Swift.min(lowIndex, other.lowIndex)
        highIndex = Swift.max(highIndex, other.highIndex)
    }

    /// Empties the histogram, touching only the buckets in use.
    mutating func reset() {
        if !isEmpty {
            for index in lowIndex...highIndex { counts[index] = 0 }
        }
        total = 0
        sum = 0
        minimum = .max
        maximum = 0
        lowIndex = .max
        highIndex = -1
    }

    /// The value at `percentile` (0 ... 100): the smallest recorded value with at least
    /// that share of values at or below it, as its bucket's upper bound (capped by the
    /// maximum). 0 when empty.
    func value(atPercentile percentile: Double) -> UInt64 {
        guard !isEmpty else { return 0 }
        let clamped = Swift.min(100, Swift.max(0, percentile))
        var rank = UInt64((clamped / 100 * Double(total)).rounded(.up))
        if rank < 1 { rank = 1 }
        var seen: UInt64 = 0
        for index in lowIndex...highIndex {
            seen &+= counts[index]
            if seen >= rank { return Swift.min(Self.highestValue(at: index), maximum) }
        }
        return maximum
    }

    /// The mean, 0 when empty.
    var mean: Double { isEmpty ? 0 : Double(sum) / Double(total) }

    /// The usual summary.
    var summary: LatencySummary {
        LatencySummary(
            count: total, p50: value(atPercentile: 50), p95: value(atPercentile: 95), p99: value(atPercentile: 99),
            max: maximum, min: isEmpty ? 0 : minimum, mean: mean)
    }
}

/// Percentiles of one histogram, in nanoseconds.
struct LatencySummary: Sendable, Equatable {
    var count: UInt64
    var p50: UInt64
    var p95: UInt64
    var p99: UInt64
    var max: UInt64
    var min: UInt64
    var mean: Double
}
