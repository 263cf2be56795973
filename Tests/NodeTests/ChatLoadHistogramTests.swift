import Foundation
import Testing
import TestSupport

/// The latency histogram inside chat-load, through its hidden `histogram-check` command:
/// values in on stdin, summary out as JSON, compared with exact percentiles.
@Suite struct ChatLoadHistogramTests {
    /// The value of rank ceil(p * n) in sorted order: the definition the histogram follows.
    private func exact(_ sorted: [UInt64], _ percentile: Double) -> UInt64 {
        let rank = max(1, Int((percentile / 100 * Double(sorted.count)).rounded(.up)))
        return sorted[rank - 1]
    }

    private func check(_ values: [UInt64]) throws {
        let output = try ChatLoadBinary.run(["histogram-check"], input: values.map(String.init).joined(separator: "\n") + "\n")
        #expect(output.status == 0)
        let json = try #require(output.json, "not JSON: \(output.stdout)")
        let sorted = values.sorted()
        #expect(jsonInt(json, "count") == values.count)
        #expect(jsonValue(json, "max") as? NSNumber == NSNumber(value: sorted.last ?? 0))
        #expect(jsonValue(json, "min") as? NSNumber == NSNumber(value: sorted.first ?? 0))
        for (key, percentile) in [("p50", 50.0), ("p95", 95.0), ("p99", 99.0), ("p100", 100.0)] {
            let reported = try #require((jsonValue(json, key) as? NSNumber)?.uint64Value)
            let truth = exact(sorted, percentile)
            // Never below the truth, at most 1/128 above it (and never above the maximum).
            #expect(reported >= truth, "\(key): \(reported) < \(truth)")
            #expect(Double(reported) <= Double(truth) * (1 + 1.0 / 128) + 1, "\(key): \(reported) vs \(truth)")
            #expect(reported <= sorted.last ?? 0)
        }
    }

    @Test func smallValuesAreExact() throws {
        let values: [UInt64] = (0..<200).map { UInt64($0) }
        let output = try ChatLoadBinary.run(["histogram-check"], input: values.map(String.init).joined(separator: "\n"))
        let json = try #require(output.json)
        #expect(jsonInt(json, "p50") == 99)
        #expect(jsonInt(json, "p95") == 189)
        #expect(jsonInt(json, "p99") == 197)
        #expect(jsonInt(json, "max") == 199)
    }

    @Test func percentilesStayWithinTheBucketPrecision() throws {
        var random = SplitMix64(seed: 9)
        // Log-uniform from 100 ns to about 10 s: every magnitude a latency can have.
        let logUniform: [UInt64] = (0..<20_000).map { _ in
            UInt64(100 * pow(10, Double(random.next() % 1_000_000) / 1_000_000 * 8))
        }
        try check(logUniform)
        // A tight cluster with a far outlier: p99 must not jump to the outlier.
        var clustered: [UInt64] = (0..<999).map { _ in 1_000_000 + random.next() % 50_000 }
        clustered.append(3_000_000_000)
        try check(clustered)
        // Extremes of the range.
        try check([0, 1, 255, 256, 257, UInt64.max / 2, UInt64.max])
    }

    @Test func emptyHistogramReportsZeros() throws {
        let output = try ChatLoadBinary.run(["histogram-check"], input: "")
        let json = try #require(output.json)
        #expect(jsonInt(json, "count") == 0)
        #expect(jsonInt(json, "p99") == 0)
        #expect(jsonInt(json, "max") == 0)
    }
}
