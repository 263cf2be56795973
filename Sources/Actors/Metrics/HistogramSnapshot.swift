/// A histogram's counts at one instant, for the exposition and for reports.
public struct HistogramSnapshot: Sendable, Equatable {
    /// Upper bounds of the buckets, in the histogram's unit.
    public var bounds: [Int]
    /// Observations per bucket (not cumulative), `bounds.count + 1` of them: the last one
    /// counts values above every bound.
    public var counts: [Int]
    /// Sum of the observations, in the histogram's unit.
    public var sum: Int
    /// Units per base unit of the exposition.
    public var unitsPerBase: Double

    /// A snapshot from its parts.
    public init(bounds: [Int], counts: [Int], sum: Int, unitsPerBase: Double) {
        self.bounds = bounds
        self.counts = counts
        self.sum = sum
        self.unitsPerBase = unitsPerBase
    }

    /// Observations in all.
    public var count: Int { counts.reduce(0, &+) }

    /// Observations at or below each bound, then the total (`le="+Inf"`): what Prometheus'
    /// `_bucket` series carry.
    public var cumulative: [Int] {
        var running = 0
        return counts.map { count in
            running &+= count
            return running
        }
    }

    /// The bounds in the base unit (e.g. seconds), as `le` labels carry them.
    public var boundsInBaseUnit: [Double] { bounds.map { Double($0) / unitsPerBase } }

    /// The sum in the base unit.
    public var sumInBaseUnit: Double { Double(sum) / unitsPerBase }

    /// The `q`-quantile (0...1) in the base unit, estimated as PromQL's
    /// `histogram_quantile` does: linear within the bucket it falls in, from 0 for the
    /// first bucket; the highest finite bound when it falls in the overflow bucket. Nil
    /// without observations.
    public func quantile(_ q: Double) -> Double? {
        let total = count
        guard total > 0, q >= 0, q <= 1 else { return nil }
        let rank = q * Double(total)
        let bases = boundsInBaseUnit
        var below = 0
        for (index, inBucket) in counts.enumerated() {
            let through = below + inBucket
            if Double(through) >= rank && inBucket > 0 {
                guard index < bases.count else { return bases.last }
                let lower = index == 0 ? 0 : bases[index - 1]
                let upper = bases[index]
                return lower + (upper - lower) * (rank - Double(below)) / Double(inBucket)
            }
            below = through
        }
        return bases.last
    }
}
