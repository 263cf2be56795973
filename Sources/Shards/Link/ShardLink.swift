import Actors
import Gateway
import Synchronization

/// Settings of a shard link.
public struct ShardLinkConfiguration: Sendable {
    /// Commands pending before a flush is forced within the round (the plan's 64).
    public var batchCommands = 64
    /// Outbox bounds while the shard is away (DESIGN.md: 10,000 commands or 8 MiB).
    public var outboxCommands = 10_000
    /// See `outboxCommands`.
    public var outboxBytes = 8 << 20
    /// Time allowed to connect.
    public var connectTimeout: Duration = .seconds(2)
    /// Idle links send PING this often (Valkey's `timeout 300` closes idle clients).
    public var pingInterval: Duration = .seconds(60)

    /// The defaults above.
    public init() {}
}

/// The command link to one Valkey shard: an actor on the event loop's executor, so rooms
/// on the same loop submit commands without crossing threads.
///
/// Commands from all callers are written into one buffer and flushed once per round of the
/// loop (or as soon as `batchCommands` are pending): that is the pipelining window, and it
/// adds no timer latency. Replies are matched to batches in order. `run()` is one
/// connection's life, as a supervised child: it returns on cancellation and throws when the
/// connection breaks, so its supervisor restarts it with backoff; the outbox survives.
public actor ShardLink: Inspectable {
    /// The loop this link runs on.
    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    /// The shard's name, e.g. `shard-1`.
    public nonisolated let name: String
    /// Server address.
    public nonisolated let host: String
    /// Server port.
    public nonisolated let port: Int
    let configuration: ShardLinkConfiguration
    var outbox: ShardOutbox
    let life: ConnectionLifecycle
    /// The lifecycle's connection, also kept here: the hot path (`submit`, `flush`) reads
    /// the actor's own property, as it did before the lifecycle was shared.
    var connection: RESPConnection?
    var pendingSinceFlush = 0
    /// Counters for metrics and inspection, readable from any thread.
    public nonisolated let counters = ShardLinkCounters()

    /// A link to `host:port` named `name`, not yet connected.
    public init(name: String, host: String, port: Int, loop: EventLoop, configuration: ShardLinkConfiguration = .init()) {
        self.name = name
        self.host = host
        self.port = port
        self.loop = loop
        self.configuration = configuration
        self.outbox = ShardOutbox(maxCommands: configuration.outboxCommands, maxBytes: configuration.outboxBytes)
        self.life = ConnectionLifecycle(loop: loop)
    }

    /// Whether the link is connected now.
    public var isConnected: Bool { connection?.state == .open }

    /// Queues a batch of `commands` encoded commands; `completion` runs on the loop with
    /// their replies in order. False (and no completion) when the outbox is full.
    @discardableResult
    public func submit(_ bytes: [UInt8], commands: Int,
                       completion: @escaping (Result<[RESPValue], ShardLinkError>) -> Void) -> Bool {
        guard commands > 0 else {
            completion(.success([]))
            return true
        }
        guard outbox.enqueue(.init(bytes: bytes, commandCount: commands, completion: completion)) else {
            counters.refused.add(1, ordering: .relaxed)
            return false
        }
        counters.commands.add(commands, ordering: .relaxed)
        counters.waiting.store(outbox.commandCount, ordering: .relaxed)
        guard let connection, connection.state == .open else { return true }
        outbox.sendAll { connection.write($0) }
        pendingSinceFlush += commands
        if pendingSinceFlush >= configuration.batchCommands { flush() }
        return true
    }

    /// Sends a batch and waits for its replies.
    public func execute(_ bytes: [UInt8], commands: Int) async throws(ShardLinkError) -> [RESPValue] {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<[RESPValue], ShardLinkError>, Never>) in
            let queued = submit(bytes, commands: commands) { continuation.resume(returning: $0) }
            if !queued { continuation.resume(returning: .failure(.outboxFull)) }
        }
        return try result.get()
    }

    /// Sends one command given as strings and waits for its reply; an error reply throws.
    public func command(_ arguments: [String]) async throws(ShardLinkError) -> RESPValue {
        var encoder = RESPEncoder(reservingCapacity: 64)
        encoder.command(arguments: arguments)
        let replies = try await execute(encoder.take(), commands: 1)
        guard let reply = replies.first else { throw .unexpectedReply("no reply") }
        if let message = reply.errorMessage { throw .replyError(message) }
        return reply
    }

    /// One connection's life: connects, sends what waits, serves until the connection
    /// breaks (throws) or the task is cancelled (returns).
    public func run() async throws {
        life.installRoundHook { [weak self] in
            self?.assumeIsolated { link in
                if link.pendingSinceFlush > 0 { link.flush() }
            }
        }
        let loop = self.loop
        // A run that was killed may not have seen its stop yet: end it before the next one.
        if life.isRunning { stopRun() }
        try await life.run(
            host: host, port: port, timeout: configuration.connectTimeout,
            wire: { connection in
                self.connection = connection
                Self.wire(connection, to: self)
            },
            onCancel: { generation in loop.execute { [weak self] in self?.assumeIsolated { $0.stopRun(generation) } } })
    }

    /// Routes the connection's callbacks (on the loop thread) into this actor.
    private nonisolated static func wire(_ connection: RESPConnection, to link: ShardLink) {
        connection.onOpen = { [weak link] in link?.assumeIsolated { $0.connected() } }
        connection.onValue = { [weak link] value in link?.assumeIsolated { $0.received(value) } }
        connection.onClose = { [weak link] error in link?.assumeIsolated { $0.lost(error) } }
    }

    func flush() {
        if pendingSinceFlush > 0 { counters.batchSizes.record(pendingSinceFlush) }
        pendingSinceFlush = 0
        connection?.flush()
    }

    // MARK: Inspectable

    public nonisolated var mailboxDepth: Int { counters.waiting.load(ordering: .relaxed) }
    public nonisolated var processed: Int { counters.replies.load(ordering: .relaxed) }

    public func inspectionSummary() async -> String {
        "\(host):\(port) connected=\(isConnected) outbox=\(outbox.commandCount) unsent=\(outbox.unsentCount)"
    }
}

/// Counters of one link, atomics so metrics never hop onto the loop.
public final class ShardLinkCounters: Sendable {
    /// Commands accepted.
    public let commands = Atomic<Int>(0)
    /// Replies received.
    public let replies = Atomic<Int>(0)
    /// Error replies received.
    public let errorReplies = Atomic<Int>(0)
    /// Batches refused because the outbox was full.
    public let refused = Atomic<Int>(0)
    /// Commands waiting (unsent or in flight).
    public let waiting = Atomic<Int>(0)
    /// Connections made.
    public let connects = Atomic<Int>(0)
    /// Connections lost.
    public let disconnects = Atomic<Int>(0)
    /// Commands written per flush (the pipeline's batch sizes).
    public let batchSizes = Histogram.batchSizes()

    init() {}
}
