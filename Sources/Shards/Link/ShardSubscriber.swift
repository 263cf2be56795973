import Actors
import Gateway
import Synchronization

/// Settings of a subscriber link.
public struct ShardSubscriberConfiguration: Sendable {
    /// Time allowed to connect.
    public var connectTimeout: Duration = .seconds(2)
    /// A PING this often keeps a quiet connection checked (a dead peer shows on write).
    public var pingInterval: Duration = .seconds(60)
    /// Most channels named in one SUBSCRIBE/UNSUBSCRIBE (a resubscription of thousands of
    /// rooms after a reconnect is split into commands of this size).
    public var channelsPerCommand = 1000

    /// The defaults above.
    public init() {}
}

/// The pub/sub link to one Valkey server: an actor on the event loop's executor, holding
/// the set of channels the node wants and delivering their messages to a handler on the
/// loop thread.
///
/// ```
/// subscribe(c) / unsubscribe(c)   wanted set changes at once (idempotent)
///        │ end of the loop round
///        ▼
/// one SUBSCRIBE c1 c2 ... and one UNSUBSCRIBE ... for what changed this round
///        │                                    (sharded: one SSUBSCRIBE per slot)
///        ▼
/// ["message", c, payload] ──▶ handler(c, payload)      (only while c is wanted)
/// ```
///
/// `run()` is one connection's life as a supervised child, like `ShardLink`: it throws when
/// the connection breaks, and the next run subscribes every wanted channel again. Messages
/// published while no connection was up are lost (Valkey pub/sub is at most once): the
/// node's rooms recover them from history.
///
/// Confirmations are matched to the commands sent, in order; an error reply (e.g. `-MOVED`
/// for an `SSUBSCRIBE` whose slot lives elsewhere) refuses the channels of its command, and
/// a server-side `sunsubscribe` (the slot moved away in a cluster) drops one. Both are
/// reported to `onDropped` so that a cluster client can move the channel to its new owner.
/// Unexpected replies are counted and logged, never trapped on; only a RESP protocol
/// violation ends the connection.
public actor ShardSubscriber: Inspectable {
    /// The loop this subscriber runs on.
    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    /// The link's name, e.g. `shard-1`.
    public nonisolated let name: String
    /// Server address.
    public nonisolated let host: String
    /// Server port.
    public nonisolated let port: Int
    /// `SUBSCRIBE` or `SSUBSCRIBE`.
    public nonisolated let mode: PubSubMode
    /// Counters for metrics and inspection, readable from any thread.
    public nonisolated let counters = ShardSubscriberCounters()
    let configuration: ShardSubscriberConfiguration
    let life: ConnectionLifecycle

    /// Channels the owner wants.
    var wanted: Set<[UInt8]> = []
    /// Channels asked of the server on this connection (subscribe sent, no unsubscribe since).
    var active: Set<[UInt8]> = []
    /// Channels the server confirmed on this connection.
    var confirmed: Set<[UInt8]> = []
    /// Channels whose wanted state changed since the last flush (connected only).
    var dirty: Set<[UInt8]> = []
    /// Commands sent and not yet fully answered, oldest first.
    var requests = SubscriptionRequests()
    var handler: ValkeyMessageHandler?
    var onDropped: ((_ channel: [UInt8], _ reason: String?) -> Void)?

    /// A subscriber to `host:port` named `name`, not yet connected.
    public init(
        name: String, host: String, port: Int, loop: EventLoop, mode: PubSubMode = .plain,
        configuration: ShardSubscriberConfiguration = .init()
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.loop = loop
        self.mode = mode
        self.configuration = configuration
        self.life = ConnectionLifecycle(loop: loop)
    }

    /// Whether the link is connected now.
    public var isConnected: Bool { life.isOpen }

    /// Sets the handler of messages (called on the loop thread, in arrival order).
    public func setHandler(_ handler: @escaping ValkeyMessageHandler) {
        self.handler = handler
    }

    /// Sets the callback for a wanted channel the server refused (`reason` is the error
    /// reply, e.g. `MOVED 1716 127.0.0.1:7002`) or dropped on its own (`reason` nil: in a
    /// cluster, its slot moved away). The channel stays wanted here until the owner
    /// unsubscribes it.
    public func setDroppedHandler(_ handler: @escaping (_ channel: [UInt8], _ reason: String?) -> Void) {
        onDropped = handler
    }

    /// Wants `channel`; sent with this round's SUBSCRIBE. Idempotent.
    public func subscribe(_ channel: [UInt8]) {
        guard wanted.insert(channel).inserted else { return }
        if life.isOpen { dirty.insert(channel) }
    }

    /// No longer wants `channel`; sent with this round's UNSUBSCRIBE. Idempotent; messages
    /// for it that are already on the way are not delivered.
    public func unsubscribe(_ channel: [UInt8]) {
        guard wanted.remove(channel) != nil else { return }
        if life.isOpen { dirty.insert(channel) }
    }

    /// Whether the server has confirmed the subscription to `channel` on this connection.
    public func isSubscribed(_ channel: [UInt8]) -> Bool { confirmed.contains(channel) }

    /// Channels the server has confirmed on this connection.
    public var confirmedChannels: Set<[UInt8]> { confirmed }

    /// Channels wanted, confirmed or not.
    public var wantedChannels: Set<[UInt8]> { wanted }

    /// One connection's life: connects, subscribes every wanted channel, delivers messages
    /// until the connection breaks (throws) or the task is cancelled (returns).
    public func run() async throws {
        life.installRoundHook { [weak self] in
            self?.assumeIsolated { subscriber in
                if !subscriber.dirty.isEmpty { subscriber.flushChanges() }
            }
        }
        let loop = self.loop
        // A run that was killed may not have seen its stop yet: end it before the next one.
        if life.isRunning { stopRun() }
        try await life.run(
            host: host, port: port, timeout: configuration.connectTimeout,
            wire: { Self.wire($0, to: self) },
            onCancel: { generation in loop.execute { [weak self] in self?.assumeIsolated { $0.stopRun(generation) } } })
    }

    /// Routes the connection's callbacks (on the loop thread) into this actor.
    private nonisolated static func wire(_ connection: RESPConnection, to subscriber: ShardSubscriber) {
        connection.onOpen = { [weak subscriber] in subscriber?.assumeIsolated { $0.connected() } }
        connection.onValue = { [weak subscriber] value in subscriber?.assumeIsolated { $0.received(value) } }
        connection.onClose = { [weak subscriber] error in subscriber?.assumeIsolated { $0.lost(error) } }
    }

    // MARK: Inspectable

    public nonisolated var mailboxDepth: Int { 0 }
    public nonisolated var processed: Int { counters.messages.load(ordering: .relaxed) }

    public func inspectionSummary() async -> String {
        "\(host):\(port) connected=\(isConnected) wanted=\(wanted.count) confirmed=\(confirmed.count)"
    }
}

/// Counters of one subscriber, atomics so metrics never hop onto the loop.
public final class ShardSubscriberCounters: Sendable {
    /// Messages handed to the handler.
    public let messages = Atomic<Int>(0)
    /// Subscribe and unsubscribe confirmations received.
    public let confirmations = Atomic<Int>(0)
    /// Channels refused (error reply) or dropped by the server.
    public let dropped = Atomic<Int>(0)
    /// Replies that were neither a message nor a confirmation (logged and skipped).
    public let unexpected = Atomic<Int>(0)
    /// Connections made.
    public let connects = Atomic<Int>(0)
    /// Connections lost.
    public let disconnects = Atomic<Int>(0)

    init() {}
}
