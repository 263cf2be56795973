import Actors
import Dispatch
import Testing

/// `Histogram`: bucket placement (Prometheus `le`, less than or equal), cumulative counts,
/// sums, quantile estimates, and concurrent recording; `PriorityCounts`.
@Suite struct HistogramTests {
    @Test func aValueLandsInTheFirstBucketWhoseBoundIsAtLeastIt() {
        let histogram = Histogram(bounds: [10, 20, 50])
        for value in [0, 10, 11, 20, 21, 50, 51, 1_000_000] { histogram.record(value) }
        let snapshot = histogram.snapshot()
        // (-inf,10] gets 0 and 10; (10,20] 11 and 20; (20,50] 21 and 50; above: 51 and a million.
        #expect(snapshot.counts == [2, 2, 2, 2])
        #expect(snapshot.cumulative == [2, 4, 6, 8])
        #expect(snapshot.count == 8)
        #expect(snapshot.sum == 0 + 10 + 11 + 20 + 21 + 50 + 51 + 1_000_000)
    }

    @Test func negativeValuesCountAsZero() {
        let histogram = Histogram(bounds: [1, 2])
        histogram.record(-5)
        #expect(histogram.snapshot().counts == [1, 0, 0])
        #expect(histogram.snapshot().sum == 0)
    }

    @Test func anEmptyHistogramHasZeroBucketsAndNoQuantile() {
        let snapshot = Histogram.latency().snapshot()
        #expect(snapshot.counts == [Int](repeating: 0, count: Histogram.latencyBoundsNanoseconds.count + 1))
        #expect(snapshot.count == 0 && snapshot.sum == 0)
        #expect(snapshot.quantile(0.99) == nil)
    }

    @Test func latencyBucketsSpan50MicrosecondsTo5SecondsInSeconds() {
        let histogram = Histogram.latency()
        histogram.record(40_000)         // 40 µs: first bucket (le 5e-05)
        histogram.record(700_000)        // 0.7 ms: le 0.001
        histogram.record(3_000_000_000)  // 3 s: le 5
        histogram.record(9_000_000_000)  // 9 s: +Inf only
        let snapshot = histogram.snapshot()
        #expect(snapshot.boundsInBaseUnit.first == 0.00005)
        #expect(snapshot.boundsInBaseUnit.last == 5)
        let cumulative = snapshot.cumulative
        let index = { (seconds: Double) in snapshot.boundsInBaseUnit.firstIndex(of: seconds) ?? -1 }
        #expect(cumulative[index(0.00005)] == 1)
        #expect(cumulative[index(0.0005)] == 1)
        #expect(cumulative[index(0.001)] == 2)
        #expect(cumulative[index(2.5)] == 2)
        #expect(cumulative[index(5)] == 3)
        #expect(cumulative.last == 4)
        #expect(abs(snapshot.sumInBaseUnit - 12.00074) < 1e-9)
    }

    @Test func batchSizeBucketsArePowersOfTwo() {
        let histogram = Histogram.batchSizes()
        for size in [1, 3, 64, 65, 5000] { histogram.record(size) }
        let snapshot = histogram.snapshot()
        #expect(snapshot.bounds == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])
        #expect(snapshot.counts == [1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1])
        #expect(snapshot.boundsInBaseUnit.first == 1)
    }

    @Test func quantilesInterpolateWithinTheirBucketAsPromQLDoes() {
        // 100 observations: 90 in (0,10], 10 in (10,20].
        let histogram = Histogram(bounds: [10, 20, 40])
        for _ in 0..<90 { histogram.record(5) }
        for _ in 0..<10 { histogram.record(15) }
        let snapshot = histogram.snapshot()
        func near(_ value: Double?, _ expected: Double) -> Bool { value.map { abs($0 - expected) < 1e-9 } ?? false }
        #expect(near(snapshot.quantile(0.5), 10.0 * 50 / 90))  // rank 50 of 90 in [0, 10]
        #expect(near(snapshot.quantile(0.9), 10))
        #expect(near(snapshot.quantile(0.99), 19))             // rank 99: 9 of 10 into [10, 20]
        #expect(snapshot.quantile(1.5) == nil)
        // In the overflow bucket: the highest finite bound.
        for _ in 0..<1000 { histogram.record(1_000) }
        #expect(histogram.snapshot().quantile(0.99) == 40)
    }

    @Test func concurrentRecordingLosesNothing() async {
        let histogram = Histogram.batchSizes()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for index in 0..<10_000 { histogram.record((index + task) % 2000) }
                }
            }
        }
        let snapshot = histogram.snapshot()
        #expect(snapshot.count == 40_000)
        #expect(snapshot.cumulative.last == 40_000)
    }

    @Test func priorityCountsKeepOneCounterPerClass() {
        let counts = PriorityCounts()
        counts.add(.low)
        counts.add(.low, 4)
        counts.add(.critical, 2)
        #expect(counts.count(.low) == 5)
        #expect(counts.count(.normal) == 0)
        #expect(counts.count(.critical) == 2)
        #expect(counts.total == 7)
        #expect(counts.counts.map(\.priority) == [.low, .normal, .high, .critical])
    }
}
