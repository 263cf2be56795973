import Gateway

/// Drives the connections of one event loop: opens them on schedule, paces sends, times
/// out stragglers, follows the run's phases, publishes counts.
///
/// Everything happens on the loop's thread, from two timers: a 1 ms tick (open, send,
/// phase changes) and a 50 ms publish (counts into the `StatsBoard`, timeouts). No task
/// per connection and no timer per connection: sends are paced by `RatePacer`,
/// `IntervalSchedule` or `BurstPacer` for all of the loop's connections at once.
final class LoadWorker {
    let id: Int
    let loop: EventLoop
    let config: LoadConfiguration
    let target: TargetURL
    let tokens: TokenSource
    let rooms: RoomRegistry
    let control: RunControl
    let board: StatsBoard
    /// Counts since the last publish. Touched on every delivery from the clients: loop
    /// thread only and never overlapping, so the runtime exclusivity check (a measurable
    /// share of a delivery's cost) is left out.
    @exclusivity(unchecked) var stats = LoadStats()
    var writer: CommandWriter
    /// One read buffer for all of the loop's connections.
    let readBuffer: UnsafeMutableRawBufferPointer

    private var clients: [LoadClient] = []
    private var nextToOpen = 0
    private let openSchedule: OpenSchedule
    /// Clients that may send (joined senders), for round-robin and bursts.
    private var ready: [LoadClient] = []
    private var readyPosition: [Int: Int] = [:]
    private var cursor = 0
    private var ratePacer: RatePacer?
    private var burstPacer: BurstPacer?
    private var intervals: IntervalSchedule?
    private var sendingStarted = false
    private var dueSlots: [Int] = []
    private var closingSince: UInt64 = 0
    private var live = 0
    /// Clients connecting, upgrading or joining (maintained by the clients).
    var inProgress = 0
    private var timers: [UInt64] = []
    private var finished = false
    private var lastTick: UInt64 = 0
    /// In-flight handshakes at most, so a slow server is not flooded with SYNs.
    private let maxInProgress = 512

    init(id: Int, loop: EventLoop, config: LoadConfiguration, target: TargetURL, tokens: TokenSource, rooms: RoomRegistry,
         control: RunControl, board: StatsBoard, tag: UInt16) {
        self.id = id
        self.loop = loop
        self.config = config
        self.target = target
        self.tokens = tokens
        self.rooms = rooms
        self.control = control
        self.board = board
        writer = CommandWriter(size: config.size, tag: tag, binary: config.binary, seed: UInt64(id + 1) &* 0x9E37_79B9_7F4A_7C15 ^ control.runStart)
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        openSchedule = OpenSchedule(
            connections: config.connections, start: config.startConnections, rampNanos: config.rampSeconds * 1e9,
            connectRate: config.connectRate, ramp: config.scenario == .ramp)
    }

    deinit { readBuffer.deallocate() }

    /// Creates this loop's clients (global indices `id`, `id + threads`, ...) and starts
    /// the timers. Loop thread only.
    func start() {
        var index = id
        while index < config.connections {
            clients.append(LoadClient(worker: self, index: index, room: config.room(of: index), slot: clients.count))
            index += config.threads
        }
        timers.append(loop.scheduleRepeating(every: .milliseconds(1)) { [self] in tick() })
        timers.append(loop.scheduleRepeating(every: .milliseconds(50)) { [self] in housekeeping() })
        tick()
    }

    // MARK: - Tick

    private func tick() {
        guard !finished else { return }
        let now = MonotonicClock.nanoseconds()
        if lastTick != 0 && now - lastTick > stats.counters.maxTickGap { stats.counters.maxTickGap = now - lastTick }
        lastTick = now
        switch control.phase {
        case .connecting:
            openDue(now: now)
        case .sending:
            if config.scenario == .ramp { openDue(now: now) }
            if !sendingStarted { startSending() }
            pace(now: now)
        case .draining:
            break
        case .closing:
            if closingSince == 0 {
                closingSince = now
                for client in clients { client.close() }
            }
            if live == 0 || now - closingSince > 1_000_000_000 { stop() }
        case .stopped:
            stop()
        }
    }

    private func openDue(now: UInt64) {
        let elapsed = now &- control.runStart
        while nextToOpen < clients.count, inProgress < maxInProgress {
            let client = clients[nextToOpen]
            guard openSchedule.openTime(of: client.index) <= elapsed else { return }
            nextToOpen += 1
            live += 1
            client.open(now: now)
        }
    }

    private func housekeeping() {
        guard !finished else { return }
        if inProgress > 0 {
            let now = MonotonicClock.nanoseconds()
            let limit = UInt64(config.connectTimeout * 1e9)
            for client in clients where client.isInProgress && now - client.startedAt > limit {
                client.timeOut(now: now)
            }
        }
        publish()
    }

    private func publish() {
        board.publish(worker: id, stats)
        stats.reset()
    }

    /// Closes whatever is left, publishes the last counts, stops the timers.
    private func stop() {
        guard !finished else { return }
        for client in clients where client.isLive { client.finish(failure: nil) }
        finished = true
        for timer in timers { loop.cancelTimer(timer) }
        timers = []
        publish()
        board.markDone(worker: id)
    }

    // MARK: - Sending

    private func startSending() {
        sendingStarted = true
        let start = control.sendStart
        switch config.pacing {
        case .none:
            break
        case .rate(let total):
            let senders = config.senders ?? config.connections
            let mine = clients.filter { config.sends($0.index) }.count
            ratePacer = RatePacer(perSecond: senders > 0 ? total * Double(mine) / Double(senders) : 0, start: start)
        case .interval(let minimum, let maximum):
            var schedule = IntervalSchedule(minimum: minimum, maximum: maximum, seed: writer.tag == 0 ? 7 : UInt64(writer.tag) &+ UInt64(id))
            for client in ready { schedule.schedule(client.slot, now: start, first: true) }
            intervals = schedule
        case .burst(let count, let gap):
            burstPacer = BurstPacer(count: count, gap: UInt64(gap * 1e9), start: start)
        }
    }

    private func pace(now: UInt64) {
        if var pacer = ratePacer {
            let skippedBefore = pacer.skipped
            let due = pacer.due(now: now)
            stats.counters.skipped &+= pacer.skipped - skippedBefore
            ratePacer = pacer
            guard !ready.isEmpty else { return }
            for _ in 0..<due {
                if cursor >= ready.count { cursor = 0 }
                ready[cursor].sendMessage()
                cursor += 1
                if ready.isEmpty { return }
            }
        } else if var schedule = intervals {
            dueSlots.removeAll(keepingCapacity: true)
            schedule.popDue(now: now, into: &dueSlots)
            for slot in dueSlots where clients[slot].isOpen && readyPosition[slot] != nil {
                clients[slot].sendMessage()
                schedule.schedule(slot, now: now, first: false)
            }
            intervals = schedule
        } else if var pacer = burstPacer {
            let due = pacer.due(now: now)
            burstPacer = pacer
            if due { for client in ready { client.sendMessage() } }
        }
    }

    // MARK: - Client notifications

    /// A client joined (or opened, without rooms) and may send.
    func clientReady(_ client: LoadClient) {
        guard config.sends(client.index), readyPosition[client.slot] == nil else { return }
        readyPosition[client.slot] = ready.count
        ready.append(client)
        if sendingStarted, var schedule = intervals {
            schedule.schedule(client.slot, now: MonotonicClock.nanoseconds(), first: true)
            intervals = schedule
        }
    }

    /// A ready client closed: no longer picked to send.
    func clientLeft(_ client: LoadClient) {
        guard let position = readyPosition.removeValue(forKey: client.slot) else { return }
        let last = ready.removeLast()
        if position < ready.count {
            ready[position] = last
            readyPosition[last.slot] = position
        }
    }

    /// A client reached `closed`.
    func clientFinished(_ client: LoadClient) {
        live -= 1
    }
}

/// Bound to its loop's thread.
@available(*, unavailable)
extension LoadWorker: Sendable {}
