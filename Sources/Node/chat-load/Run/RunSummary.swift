/// What a run measured, ready to print.
struct RunSummary {
    var config: LoadConfiguration
    var target: TargetURL
    var ending: RunSchedule.Ending
    var stats: LoadStats
    /// Seconds of the sending phase.
    var sendingSeconds: Double
    /// Seconds from start to stop.
    var elapsedSeconds: Double
    var node: ResourceSummary?
    var nodeSource: String
    var generator: ResourceSummary?

    var loss: Int64 { max(0, stats.counters.expected - Int64(stats.counters.delivered)) }

    var lossPercent: Double {
        stats.counters.expected > 0 ? Double(loss) / Double(stats.counters.expected) * 100 : 0
    }

    /// Generator CPU (user + system, all threads) per delivery, from the start of sending
    /// to the end, in microseconds: what one delivery costs the generator, whatever share
    /// of a core it got. Its inverse is the deliveries one core can receive at that cost.
    var generatorMicrosPerDelivery: Double? {
        guard let generator, stats.counters.delivered > 0, let from = generator.cpuAtSendingStart,
              let to = generator.cpuAtEnd, to > from else { return nil }
        return (to - from) / Double(stats.counters.delivered) * 1e6
    }

    var sentPerSecond: Double { sendingSeconds > 0 ? Double(stats.counters.sent) / sendingSeconds : 0 }
    var deliveriesPerSecond: Double { sendingSeconds > 0 ? Double(stats.counters.delivered) / sendingSeconds : 0 }
}

/// CPU and memory of a process over the run.
struct ResourceSummary {
    /// Average CPU over the sending phase, percent of one core.
    var cpuPercent: Double?
    var rssStart: UInt64
    var rssEnd: UInt64
    var rssPeak: UInt64
    /// Every sample taken (time since start, CPU percent since the previous sample, RSS).
    var samples: [(at: Double, cpuPercent: Double?, rss: UInt64)]
    /// CPU seconds at the sample nearest the start of sending, and at the last sample.
    var cpuAtSendingStart: Double?
    var cpuAtEnd: Double?

    /// Summarises `samples`; CPU is averaged between the samples nearest the sending
    /// phase's start and end.
    init?(samples raw: [ProcessSample], sendingFrom: Double?, sendingTo: Double?) {
        guard let first = raw.first, let last = raw.last else { return nil }
        rssStart = first.rssBytes
        rssEnd = last.rssBytes
        rssPeak = raw.map(\.rssBytes).max() ?? 0
        var list: [(at: Double, cpuPercent: Double?, rss: UInt64)] = []
        var previous: ProcessSample?
        for sample in raw {
            var cpu: Double?
            if let previous, sample.at > previous.at { cpu = (sample.cpuSeconds - previous.cpuSeconds) / (sample.at - previous.at) * 100 }
            list.append((sample.at, cpu, sample.rssBytes))
            previous = sample
        }
        samples = list
        cpuAtSendingStart = sendingFrom.flatMap { from in (raw.last(where: { $0.at <= from + 0.001 }) ?? raw.first)?.cpuSeconds }
        cpuAtEnd = last.cpuSeconds
        if let from = sendingFrom, let to = sendingTo,
           let begin = raw.last(where: { $0.at <= from + 0.001 }) ?? raw.first,
           let end = raw.first(where: { $0.at >= to - 0.001 }) ?? raw.last, end.at > begin.at {
            cpuPercent = (end.cpuSeconds - begin.cpuSeconds) / (end.at - begin.at) * 100
        }
    }
}
