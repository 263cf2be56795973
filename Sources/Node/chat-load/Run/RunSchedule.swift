/// Decides the run's phase from the clock and the published counts. Pure: `now` is passed
/// in; the main thread applies the result to `RunControl`.
///
/// Every phase has a time limit, and the whole run a hard deadline, so the run ends even
/// when the server stalls or the counts never add up.
struct RunSchedule {
    /// How the run ended.
    enum Ending: String, Sendable {
        case completed
        case deadline
        case interrupted
        /// Not one connection opened: nothing to measure.
        case noConnection = "no_connection"
    }

    let config: LoadConfiguration
    let start: UInt64
    private(set) var phase: RunPhase
    private(set) var sendStart: UInt64?
    private(set) var drainStart: UInt64?
    private(set) var closeStart: UInt64?
    private(set) var stopAt: UInt64?
    private(set) var ending = Ending.completed

    /// Counts are published every 50 ms: a drain is judged complete only on counts newer
    /// than the last send by more than that.
    static let publishLag: UInt64 = 150_000_000
    /// How long closing may take before the loops are stopped regardless.
    static let closeLimit: UInt64 = 2_000_000_000

    init(config: LoadConfiguration, start: UInt64) {
        self.config = config
        self.start = start
        if config.scenario == .ramp {
            phase = .sending
            sendStart = start
        } else {
            phase = .connecting
        }
    }

    private func nanos(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }

    /// The hard deadline, monotonic nanoseconds.
    var deadline: UInt64 { start &+ nanos(config.hardDeadline) }

    /// Moves on when the phase's condition holds; returns the phase to be in now.
    mutating func advance(now: UInt64, counters: LoadCounters, workersDone: Bool, interrupted: Bool) -> RunPhase {
        if interrupted && phase < .closing {
            ending = .interrupted
            enterClosing(now)
        }
        if now >= deadline && phase < .closing {
            ending = .deadline
            enterClosing(now)
        }
        switch phase {
        case .connecting:
            let target = UInt64(config.connections)
            var resolved = counters.opened + counters.failed >= target
            if config.scenario.joinsRooms { resolved = resolved && counters.joined + counters.joinFailed >= counters.opened }
            if resolved || now >= start &+ nanos(config.connectBudget) {
                if counters.opened == 0 && config.connections > 0 {
                    ending = .noConnection
                    enterClosing(now)
                } else {
                    phase = .sending
                    sendStart = now
                }
            }
        case .sending:
            let margin: Double = if case .burst = config.pacing { 0.1 } else { 0 }
            if let sendStart, now >= sendStart &+ nanos(config.sendingSeconds + margin) {
                phase = .draining
                drainStart = now
            }
        case .draining:
            guard let drainStart else { break }
            let settled = now >= drainStart &+ Self.publishLag
            let complete = counters.acked + counters.rejected >= counters.sent && Int64(counters.delivered) >= counters.expected
            if (settled && complete) || now >= drainStart &+ nanos(config.drainSeconds) { enterClosing(now) }
        case .closing:
            if workersDone || now >= (closeStart ?? now) &+ Self.closeLimit {
                phase = .stopped
                stopAt = now
            }
        case .stopped:
            break
        }
        return phase
    }

    private mutating func enterClosing(_ now: UInt64) {
        if drainStart == nil { drainStart = now }
        phase = .closing
        closeStart = now
    }

    /// Seconds messages were sent (sending phase), for rates.
    func sendingSeconds(now: UInt64) -> Double {
        guard let sendStart else { return 0 }
        let end = drainStart ?? now
        return end > sendStart ? Double(end - sendStart) / 1e9 : 0
    }
}
