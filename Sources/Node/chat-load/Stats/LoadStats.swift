/// What one worker counted since it last published, or (merged) what a run counted.
///
/// Words used throughout:
/// - *opened*: the server answered the upgrade with a valid 101;
/// - *failed*: a connection that never opened (refused, timed out, bad handshake);
/// - *expected*: for every message sent, the connections of this run that had joined its
///   room before it was sent (the sender excepted);
/// - *delivered*: `msg` events of this run's messages received by a connection that was
///   counted in that message's `expected`;
/// - *extra*: this run's messages received by a connection that was not counted (its join
///   was in flight when the message was sent), or a second copy;
/// - *rejected*: sends answered with `error` (e.g. `rate_limited`): removed from `expected`.
struct LoadCounters: Sendable, Equatable {
    var opened: UInt64 = 0
    var failed: UInt64 = 0
    var joined: UInt64 = 0
    var joinFailed: UInt64 = 0
    /// Open connections the server closed or reset before the run's end.
    var dropped: UInt64 = 0
    /// Connections that reached the end of their life (any way): for the closing phase.
    var finished: UInt64 = 0
    var sent: UInt64 = 0
    var acked: UInt64 = 0
    var rejected: UInt64 = 0
    var delivered: UInt64 = 0
    /// May go down (a rejected send takes its share back): hence signed.
    var expected: Int64 = 0
    var extra: UInt64 = 0
    /// `msg` events of a connection's own sends (servers that echo to the sender).
    var echoes: UInt64 = 0
    /// `msg` events not written by this run (other clients in the room).
    var foreign: UInt64 = 0
    /// `error` events received.
    var errors: UInt64 = 0
    var bytesIn: UInt64 = 0
    var bytesOut: UInt64 = 0
    /// Sends the pacer dropped because the loop fell more than a second behind schedule.
    var skipped: UInt64 = 0
    /// Longest gap between two ticks of a worker (ideal: 1 ms): how far the generator's
    /// own loop fell behind. Merged by maximum, not sum.
    var maxTickGap: UInt64 = 0

    /// Adds `other` field by field.
    mutating func add(_ other: LoadCounters) {
        opened &+= other.opened
        failed &+= other.failed
        joined &+= other.joined
        joinFailed &+= other.joinFailed
        dropped &+= other.dropped
        finished &+= other.finished
        sent &+= other.sent
        acked &+= other.acked
        rejected &+= other.rejected
        delivered &+= other.delivered
        expected &+= other.expected
        extra &+= other.extra
        echoes &+= other.echoes
        foreign &+= other.foreign
        errors &+= other.errors
        bytesIn &+= other.bytesIn
        bytesOut &+= other.bytesOut
        skipped &+= other.skipped
        maxTickGap = max(maxTickGap, other.maxTickGap)
    }
}

/// Counters and latency histograms together: a worker's delta, a worker's published
/// total, or a whole run.
struct LoadStats: Sendable {
    var counters = LoadCounters()
    /// End to end: send (clock read just before the frame was built) to receipt of `msg`.
    var endToEnd = LatencyHistogram()
    /// Send to receipt of the `ack`.
    var ack = LatencyHistogram()
    /// End to end, only since the progress line last took it (the "current p99").
    var window = LatencyHistogram()
    /// Failures by reason (`connect`, `handshake`, `timeout`, `closed`) and server error
    /// codes by code (`error:rate_limited`).
    var reasons: [String: UInt64] = [:]

    /// Adds `other` (its window included).
    mutating func add(_ other: LoadStats) {
        counters.add(other.counters)
        endToEnd.merge(other.endToEnd)
        ack.merge(other.ack)
        window.merge(other.window)
        for (reason, count) in other.reasons { reasons[reason, default: 0] &+= count }
    }

    /// Empties everything (keeps the histograms' storage).
    mutating func reset() {
        counters = LoadCounters()
        endToEnd.reset()
        ack.reset()
        window.reset()
        if !reasons.isEmpty { reasons = [:] }
    }

    /// Counts one occurrence of `reason`.
    mutating func note(_ reason: String) {
        reasons[reason, default: 0] &+= 1
    }
}
