import Gateway

/// One connection's life for a link actor on an event loop, shared by `ShardLink` and
/// `ShardSubscriber`: it opens a `RESPConnection`, keeps the supervised `run()` suspended
/// while the connection lives, and ends it in one of two ways.
///
/// ```
/// run() ─ open ─▶ connecting ─ onOpen ─▶ open ─┬─ lost(error) ──▶ run() throws  (supervisor restarts, backoff)
///                                              └─ stop()      ──▶ run() returns (task cancelled)
/// ```
///
/// It also carries what each link needs once per connection: the end-of-round hook
/// (installed once per owner) and an optional repeating ping timer, cancelled with the
/// connection. The owner keeps its own protocol state (outbox, subscriptions) and resets it
/// in its `lost`/`stop` handlers; this type knows nothing of RESP beyond the connection.
///
/// Loop-bound (not Sendable): owned by one actor whose executor is `loop`, used on the
/// loop's thread only.
final class ConnectionLifecycle {
    let loop: EventLoop
    /// The current connection, nil between lives.
    private(set) var connection: RESPConnection?
    private var continuation: CheckedContinuation<Void, any Error>?
    private var pingTimer: UInt64?
    private var roundHookInstalled = false
    /// Counts runs, so that a late stop meant for an earlier run (a killed run's
    /// cancellation arrives after its successor started) is ignored.
    private(set) var generation: UInt64 = 0

    /// Whether a run is suspended (started and neither lost nor stopped).
    var isRunning: Bool { continuation != nil }

    /// Whether a stop meant for run `generation` (nil: whichever runs now) applies.
    func isCurrent(_ generation: UInt64?) -> Bool {
        generation.map { $0 == self.generation } ?? true
    }

    init(loop: EventLoop) {
        self.loop = loop
    }

    /// Whether the connection is open now.
    var isOpen: Bool { connection?.state == .open }

    /// Calls `body` at the end of every round of the loop, installed on the first call only
    /// (the hook outlives connections: it is how batched output leaves).
    func installRoundHook(_ body: @escaping () -> Void) {
        guard !roundHookInstalled else { return }
        roundHookInstalled = true
        loop.onEveryRound(body)
    }

    /// One connection's life: opens a connection to `host:port`, lets `wire` attach the
    /// owner's callbacks, and suspends until `lost` (throws) or `stop` (returns).
    /// `onCancel` runs on cancellation, from any thread, with this run's number: it must hop
    /// to the loop and stop the run if `isCurrent` still says so.
    func run(
        host: String, port: Int, timeout: Duration,
        wire: (RESPConnection) -> Void,
        onCancel: @escaping @Sendable (UInt64) -> Void,
        isolation: isolated (any Actor)? = #isolation
    ) async throws {
        generation &+= 1
        let current = generation
        let connection = RESPConnection(loop: loop, host: host, port: port)
        self.connection = connection
        wire(connection)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation(isolation: isolation) { (continuation: CheckedContinuation<Void, any Error>) in
                self.continuation = continuation
                connection.open(timeout: timeout)
            }
        } onCancel: {
            onCancel(current)
        }
    }

    /// The connection broke: forgets it and makes `run()` throw `error`.
    func lost(_ error: ShardLinkError) {
        connection?.close()
        end()
        continuation?.resume(throwing: error)
        continuation = nil
    }

    /// Stopping (cancellation): closes the connection and makes `run()` return.
    func stop() {
        connection?.close()
        end()
        continuation?.resume()
        continuation = nil
    }

    /// Calls `body` every `interval` while this connection lives (replacing an earlier ping).
    func schedulePing(every interval: Duration, _ body: @escaping () -> Void) {
        if let pingTimer { loop.cancelTimer(pingTimer) }
        pingTimer = loop.scheduleRepeating(every: interval, body)
    }

    private func end() {
        connection = nil
        if let pingTimer { loop.cancelTimer(pingTimer) }
        pingTimer = nil
    }
}
