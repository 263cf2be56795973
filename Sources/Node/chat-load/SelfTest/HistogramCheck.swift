import Foundation

/// `chat-load histogram-check`: records the nanosecond values read from stdin (one per
/// line) and prints the summary as JSON, so tests can compare the histogram with exact
/// percentiles from outside the executable.
enum HistogramCheck {
    static func run() -> Int32 {
        var histogram = LatencyHistogram()
        var other = LatencyHistogram()
        var count = 0
        while let line = readLine() {
            guard let value = UInt64(line.trimmingCharacters(in: .whitespaces)) else { continue }
            // Alternate between two histograms and merge them: checks `merge` on the way.
            if count % 2 == 0 { histogram.record(value) } else { other.record(value) }
            count += 1
        }
        histogram.merge(other)
        let summary = histogram.summary
        print("{\"count\":\(summary.count),\"min\":\(summary.min),\"p50\":\(summary.p50),\"p95\":\(summary.p95),"
            + "\"p99\":\(summary.p99),\"max\":\(summary.max),\"p0\":\(histogram.value(atPercentile: 0)),"
            + "\"p100\":\(histogram.value(atPercentile: 100))}")
        return 0
    }
}
