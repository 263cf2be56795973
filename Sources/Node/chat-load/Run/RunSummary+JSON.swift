import Rooms

extension RunSummary {
    /// The summary as one JSON object (`--json`). Latencies in milliseconds, rates per
    /// second, memory in bytes, CPU in percent of one core.
    var json: String {
        var writer = JSONWriter(capacity: 2_048)
        let counters = stats.counters
        writer.beginObject()
        writer.field("scenario", config.scenario.rawValue)
        writer.field("url", config.url)
        writer.field("threads", config.threads)
        writer.field("ending", ending.rawValue)
        writer.key("elapsed_s"); writer.number(elapsedSeconds, 3)
        writer.key("sending_s"); writer.number(sendingSeconds, 3)
        writer.key("connections")
        writer.beginObject()
        writer.field("target", config.connections)
        writer.field("opened", counters.opened)
        writer.field("failed", counters.failed)
        writer.field("joined", counters.joined)
        writer.field("join_failed", counters.joinFailed)
        writer.field("dropped", counters.dropped)
        writer.endObject()
        writer.key("messages")
        writer.beginObject()
        writer.field("sent", counters.sent)
        writer.field("acked", counters.acked)
        writer.field("rejected", counters.rejected)
        writer.field("delivered", counters.delivered)
        writer.field("expected", counters.expected)
        writer.field("loss", loss)
        writer.key("loss_pct"); writer.number(lossPercent, 4)
        writer.field("extra", counters.extra)
        writer.field("echoes", counters.echoes)
        writer.field("foreign", counters.foreign)
        writer.field("errors", counters.errors)
        writer.endObject()
        writer.key("rates")
        writer.beginObject()
        writer.key("sent_per_s"); writer.number(sentPerSecond, 1)
        writer.key("deliveries_per_s"); writer.number(deliveriesPerSecond, 1)
        writer.endObject()
        writer.key("latency_ms")
        writer.beginObject()
        writer.key("end_to_end"); writer.latency(stats.endToEnd.summary)
        writer.key("ack"); writer.latency(stats.ack.summary)
        writer.endObject()
        writer.key("generator_loop")
        writer.beginObject()
        writer.key("max_tick_gap_ms"); writer.number(Double(counters.maxTickGap) / 1e6, 3)
        writer.key("cpu_us_per_delivery")
        if let cost = generatorMicrosPerDelivery { writer.number(cost, 3) } else { writer.null() }
        writer.field("skipped_sends", counters.skipped)
        writer.endObject()
        writer.key("bytes")
        writer.beginObject()
        writer.field("in", counters.bytesIn)
        writer.field("out", counters.bytesOut)
        writer.endObject()
        writer.rawField("reasons", Self.countsObject(stats.reasons))
        writer.key("node")
        if let node {
            writer.resources(node, source: nodeSource, pid: config.pid)
        } else {
            writer.null()
        }
        writer.key("generator")
        if let generator { writer.resources(generator, source: "proc", pid: nil) } else { writer.null() }
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

extension RunSummary {
    /// `{"name":count,...}` with names sorted: JSONWriter's keys are literals, these are not.
    static func countsObject(_ counts: [String: UInt64]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        for (offset, name) in counts.keys.sorted().enumerated() {
            if offset > 0 { bytes.append(UInt8(ascii: ",")) }
            var member = JSONWriter(capacity: name.utf8.count + 24)
            member.string(name)
            bytes.append(contentsOf: member.bytes)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(contentsOf: String(counts[name] ?? 0).utf8)
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}

extension JSONWriter {
    /// A number with `decimals` digits after the point.
    mutating func number(_ value: Double, _ decimals: Int) {
        raw(Array(Format.fixed(value, decimals).utf8))
    }

    mutating func latency(_ summary: LatencySummary) {
        beginObject()
        field("count", summary.count)
        key("p50"); number(Double(summary.p50) / 1e6, 3)
        key("p95"); number(Double(summary.p95) / 1e6, 3)
        key("p99"); number(Double(summary.p99) / 1e6, 3)
        key("max"); number(Double(summary.max) / 1e6, 3)
        key("min"); number(Double(summary.min) / 1e6, 3)
        key("mean"); number(summary.mean / 1e6, 3)
        endObject()
    }

    mutating func resources(_ summary: ResourceSummary, source: String, pid: Int32?) {
        beginObject()
        field("source", source)
        if let pid { field("pid", pid) }
        key("cpu_pct")
        if let cpu = summary.cpuPercent { number(cpu, 1) } else { null() }
        field("rss_start", summary.rssStart)
        field("rss_end", summary.rssEnd)
        field("rss_peak", summary.rssPeak)
        key("samples")
        beginArray()
        for sample in summary.samples {
            beginObject()
            key("t_s"); number(sample.at, 1)
            key("cpu_pct")
            if let cpu = sample.cpuPercent { number(cpu, 1) } else { null() }
            field("rss", sample.rss)
            endObject()
        }
        endArray()
        endObject()
    }
}
