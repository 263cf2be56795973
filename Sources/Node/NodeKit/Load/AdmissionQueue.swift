import Rooms

/// Decides what happens to a new WebSocket upgrade (DESIGN.md: "new connections queued"
/// at critical): admitted at once, kept waiting in a bounded FIFO, or refused.
///
/// ```
///                 open < MAX_CONNECTIONS and (level < critical or a token)
/// arrival ──queue empty and ─┴──> admit
///         └─ else: room in the queue ──> wait ──(capacity frees, level drops,
///            │                                   a token at critical)──> admit
///            │                            └─(max wait)──> refuse (503 + Retry-After)
///            └─ queue full ──> refuse (503 + Retry-After)
/// ```
///
/// Capacity: open WebSockets stay under `MAX_CONNECTIONS`; at `critical` admissions are
/// also paced by a token bucket (`ratePerSecond`, burst of one second's worth), so a
/// reconnect storm enters at a rate the node chose instead of all at once. Pure: the
/// caller gives the time, the open count and the level; FIFO, so nobody is overtaken.
struct AdmissionQueue<Waiter> {
    /// Settings (`ADMISSION_QUEUE`, `ADMISSION_WAIT_MS`, `ADMISSION_RATE`).
    struct Configuration: Equatable {
        /// Waiters at most; more are refused at once.
        var capacity = 256
        /// Longest wait before a waiter is refused.
        var maxWaitMs: Int64 = 5000
        /// Admissions per second at `critical`.
        var ratePerSecond = 20
    }

    /// What to do with an arrival.
    enum Arrival: Equatable {
        /// Upgrade now.
        case admit
        /// Queued.
        case wait
        /// The queue is full: refuse.
        case refuse
    }

    let configuration: Configuration
    private var waiters: [(waiter: Waiter, sinceMs: Int64)] = []
    private var tokens: Double
    private var refilledMs: Int64?

    /// An empty queue.
    init(configuration: Configuration) {
        self.configuration = configuration
        tokens = Double(max(1, configuration.ratePerSecond))
    }

    /// Waiters now.
    var count: Int { waiters.count }

    /// Decides for a new upgrade; `open` is the number of open WebSockets.
    mutating func arrive(_ waiter: Waiter, open: Int, maxOpen: Int, level: LoadLevel, nowMs: Int64) -> Arrival {
        if waiters.isEmpty && mayAdmit(open: open, maxOpen: maxOpen, level: level, nowMs: nowMs) { return .admit }
        guard waiters.count < configuration.capacity else { return .refuse }
        waiters.append((waiter, nowMs))
        return .wait
    }

    /// Waiters whose wait ran out (to refuse), then those that may enter now, in order.
    mutating func poll(open: Int, maxOpen: Int, level: LoadLevel, nowMs: Int64) -> (admit: [Waiter], expired: [Waiter]) {
        var expired: [Waiter] = []
        waiters.removeAll { entry in
            guard nowMs - entry.sinceMs >= configuration.maxWaitMs else { return false }
            expired.append(entry.waiter)
            return true
        }
        var admit: [Waiter] = []
        while !waiters.isEmpty && mayAdmit(open: open + admit.count, maxOpen: maxOpen, level: level, nowMs: nowMs) {
            admit.append(waiters.removeFirst().waiter)
        }
        return (admit, expired)
    }

    /// Takes every waiter (the node drains: they are refused).
    mutating func removeAll() -> [Waiter] {
        defer { waiters.removeAll() }
        return waiters.map(\.waiter)
    }

    private mutating func mayAdmit(open: Int, maxOpen: Int, level: LoadLevel, nowMs: Int64) -> Bool {
        guard open < maxOpen else { return false }
        guard level == .critical else { return true }
        let rate = Double(max(1, configuration.ratePerSecond))
        if let refilledMs, nowMs > refilledMs {
            tokens = min(rate, tokens + Double(nowMs - refilledMs) * rate / 1000)
        }
        refilledMs = nowMs
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
