import Rooms

extension LoadConfiguration {
    /// The resolved configuration as JSON (`--print-config`): what a run would do, for
    /// tests and scripts. The secret is not printed, only whether one was given.
    var configJSON: String {
        var writer = JSONWriter(capacity: 512)
        writer.beginObject()
        writer.field("scenario", scenario.rawValue)
        writer.field("url", url)
        writer.field("secret", secret != nil)
        if let tokenURL { writer.field("token_url", tokenURL) } else { writer.nullField("token_url") }
        writer.field("connections", connections)
        writer.field("start", startConnections)
        writer.key("ramp_s"); writer.number(rampSeconds, 3)
        writer.key("duration_s"); writer.number(duration, 3)
        writer.key("sending_s"); writer.number(sendingSeconds, 3)
        writer.field("rooms", rooms)
        writer.field("room_base", roomBase)
        writer.key("pacing")
        writer.beginObject()
        switch pacing {
        case .none:
            writer.field("mode", "none")
        case .rate(let rate):
            writer.field("mode", "rate")
            writer.key("rate"); writer.number(rate, 3)
        case .interval(let minimum, let maximum):
            writer.field("mode", "interval")
            writer.key("min_s"); writer.number(minimum, 3)
            writer.key("max_s"); writer.number(maximum, 3)
        case .burst(let count, let gap):
            writer.field("mode", "burst")
            writer.field("bursts", count)
            writer.key("gap_s"); writer.number(gap, 3)
        }
        writer.endObject()
        if let senders { writer.field("senders", senders) } else { writer.nullField("senders") }
        writer.field("size", size)
        writer.field("threads", threads)
        if let pid { writer.field("pid", pid) } else { writer.nullField("pid") }
        writer.field("json", json)
        writer.field("allow_remote", allowRemote)
        writer.field("binary", binary)
        writer.key("connect_rate"); writer.number(connectRate, 3)
        writer.key("connect_timeout_s"); writer.number(connectTimeout, 3)
        writer.key("drain_s"); writer.number(drainSeconds, 3)
        writer.key("sample_s"); writer.number(sampleSeconds, 3)
        writer.field("user_base", userBase)
        writer.key("deadline_s"); writer.number(hardDeadline, 3)
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
