extension RunSummary {
    /// The summary for people: one block of aligned lines.
    var text: String {
        let counters = stats.counters
        let threads = config.threads == 1 ? "1 thread" : "\(config.threads) threads"
        var lines: [String] = []
        lines.append("chat-load \(config.scenario.rawValue): \(config.url), \(threads), \(ending.rawValue) after \(Format.fixed(elapsedSeconds, 1)) s")
        lines.append("connections  target \(Format.grouped(config.connections))  opened \(Format.grouped(counters.opened))"
            + "  failed \(Format.grouped(counters.failed))  joined \(Format.grouped(counters.joined))"
            + "  join failed \(Format.grouped(counters.joinFailed))  dropped \(Format.grouped(counters.dropped))")
        lines.append("messages     sent \(Format.grouped(counters.sent))  acked \(Format.grouped(counters.acked))"
            + "  rejected \(Format.grouped(counters.rejected))")
        lines.append("deliveries   delivered \(Format.grouped(counters.delivered))  expected \(Format.grouped(counters.expected))"
            + "  loss \(Format.grouped(loss)) (\(Format.fixed(lossPercent, 3)) %)  extra \(Format.grouped(counters.extra))")
        lines.append("rates        \(Format.rate(sentPerSecond)) sent/s  \(Format.rate(deliveriesPerSecond)) deliveries/s"
            + " over \(Format.fixed(sendingSeconds, 2)) s of sending")
        lines.append("latency ms   end to end \(Self.latencyLine(stats.endToEnd.summary))")
        lines.append("             ack        \(Self.latencyLine(stats.ack.summary))")
        if let node {
            let pid = config.pid.map { " pid \($0)" } ?? ""
            lines.append("node         \(Self.resourceLine(node))  [\(nodeSource)\(pid)]")
            if config.scenario == .sustained || node.samples.count <= 12 {
                let series = node.samples.map { "\(Format.fixed($0.at, 0))s \(Format.megabytes($0.rss))" }
                lines.append("node rss     " + series.joined(separator: ", "))
            }
        } else {
            lines.append("node         cpu/rss unavailable (no --pid, and no /metrics at the target)")
        }
        if let generator {
            var line = "generator    \(Self.resourceLine(generator))  loop lag max \(Format.ms(counters.maxTickGap)) ms"
            if counters.skipped > 0 { line += "  skipped sends \(Format.grouped(counters.skipped))" }
            if let cost = generatorMicrosPerDelivery {
                line += "\n             \(Format.fixed(cost, 3)) µs of generator cpu per delivery (all its work while sending, over deliveries)"
            }
            lines.append(line)
        }
        if !stats.reasons.isEmpty {
            let reasons = stats.reasons.keys.sorted().map { "\($0) \(Format.grouped(stats.reasons[$0] ?? 0))" }
            lines.append("reasons      " + reasons.joined(separator: ", "))
        }
        if counters.echoes > 0 || counters.foreign > 0 {
            lines.append("other        echoes to sender \(Format.grouped(counters.echoes))  foreign msgs \(Format.grouped(counters.foreign))")
        }
        return lines.joined(separator: "\n")
    }

    static func latencyLine(_ summary: LatencySummary) -> String {
        guard summary.count > 0 else { return "no samples" }
        return "p50 \(Format.ms(summary.p50))  p95 \(Format.ms(summary.p95))  p99 \(Format.ms(summary.p99))"
            + "  max \(Format.ms(summary.max))  (\(Format.grouped(summary.count)) samples)"
    }

    static func resourceLine(_ summary: ResourceSummary) -> String {
        let cpu = summary.cpuPercent.map { "cpu \(Format.fixed($0, 1)) %" } ?? "cpu n/a"
        return "\(cpu)  rss \(Format.megabytes(summary.rssEnd)) (start \(Format.megabytes(summary.rssStart)), peak \(Format.megabytes(summary.rssPeak)))"
    }
}

/// The one-line live display on stderr, once a second.
enum ProgressLine {
    static func render(elapsed: Double, phase: RunPhase, scenario: Scenario, counters: LoadCounters, target: Int,
                       window: LatencyHistogram, node: ProcessSample?) -> String {
        let name = scenario == .idle && phase == .sending ? "holding" : phase.name
        var line = "[\(Format.pad(Format.fixed(elapsed, 0), 4))s] \(name)"
        line += " | conn \(Format.grouped(counters.opened))/\(Format.grouped(target))"
        if counters.failed > 0 { line += " failed \(Format.grouped(counters.failed))" }
        if counters.dropped > 0 { line += " dropped \(Format.grouped(counters.dropped))" }
        line += " | sent \(Format.grouped(counters.sent)) acked \(Format.grouped(counters.acked))"
        line += " | delivered \(Format.grouped(counters.delivered))/\(Format.grouped(counters.expected))"
        line += window.isEmpty ? " | p99 -" : " | p99 \(Format.ms(window.value(atPercentile: 99))) ms"
        if let node { line += " | node rss \(Format.megabytes(node.rssBytes))" }
        return line
    }
}
