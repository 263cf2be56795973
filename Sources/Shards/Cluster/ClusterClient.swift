import Actors
import Gateway
import Synchronization

/// Settings of a cluster client.
public struct ClusterConfiguration: Sendable {
    /// Settings of each master's command link.
    public var link = ShardLinkConfiguration()
    /// Settings of each master's subscriber.
    public var subscriber = ShardSubscriberConfiguration()
    /// Redirects (MOVED, ASK, TRYAGAIN) one batch may follow before it fails.
    public var maxRedirects = 5
    /// The topology is read again this often (and at once after a MOVED).
    public var refreshInterval: Duration = .seconds(10)
    /// A `CLUSTER SLOTS` unanswered this long is given up, and the next node asked.
    public var refreshTimeout: Duration = .seconds(2)
    /// Wait before retrying after TRYAGAIN, or a failed refresh while batches wait.
    public var retryDelay: Duration = .milliseconds(20)

    /// The defaults above.
    public init() {}
}

/// `VALKEY_MODE=cluster`: commands routed by key slot to the master that owns it, with
/// MOVED and ASK followed and sharded pub/sub on the owning master.
///
/// ```
/// submit(batch, key) ─ slot = CRC16(tag) mod 16384 ─ topology ─▶ master's ShardLink
///        ▲                                                          │ replies
///        └── -MOVED slot addr: topology[slot] = addr, refresh, resend there (in order)
///            -ASK slot addr:   ASKING + command to addr, once; topology unchanged
/// subscribe(channel) ─ slot ─▶ master's ShardSubscriber (SSUBSCRIBE); moved with its slot
/// ```
///
/// One link and one subscriber per master, created as masters appear and started as
/// dynamic children of `supervisor` (`<host:port>-link`, `<host:port>-subscriber`); the
/// periodic refresh starts again any that a restart of that supervisor forgot. A slot's
/// batches keep their order across redirects (`SlotFlight`). Everything runs on the loop
/// shared with the links: no thread is crossed between a room and the socket.
public actor ClusterClient: ValkeyClient {
    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    public nonisolated var pubSubMode: PubSubMode { .sharded }
    /// The addresses asked for the topology first (`VALKEY_HOSTS`).
    public nonisolated let seeds: [ValkeyAddress]
    /// Counters for metrics and inspection, readable from any thread.
    public nonisolated let counters = ClusterCounters()
    let configuration: ClusterConfiguration
    let supervisor: Supervisor

    var topology = ClusterTopology()
    /// Every node met, by a stable index (never reused): its address and command link.
    var nodeAddresses: [ValkeyAddress] = []
    var nodeLinks: [ShardLink] = []
    var nodeIndex: [ValkeyAddress: Int] = [:]
    /// Node index of each slot's master, -1 when none is known (follows `topology`).
    var slotOwners = [Int32](repeating: -1, count: HashSlot.count)
    var subscribers: [ValkeyAddress: ShardSubscriber] = [:]
    var batches: [UInt64: ClusterBatch] = [:]
    var nextBatchID: UInt64 = 0
    /// Batches in flight per slot, all to node `plainNode[slot]`, for slots without a
    /// `SlotFlight` (the common case: no array of batches, no dictionary per slot).
    var plainCount = [Int32](repeating: 0, count: HashSlot.count)
    var plainNode = [Int32](repeating: -1, count: HashSlot.count)
    /// Slots whose order needs watching (held, waiting, or in flight to two nodes).
    var flights: [Int: SlotFlight] = [:]
    /// Slots with batches held because no master is known for them.
    var unroutedSlots: Set<Int> = []
    /// Wanted channels, by the master whose subscriber has them.
    var subscriptions: [[UInt8]: ValkeyAddress] = [:]
    /// Wanted channels whose slot has no known master yet.
    var unplacedChannels: Set<[UInt8]> = []
    var handler: ValkeyMessageHandler?
    var refresh = RefreshState()
    var started = false

    /// A client that learns the cluster from `seeds` and runs its links under `supervisor`
    /// (which must be running when the first link is needed).
    public init(seeds: [ValkeyAddress], loop: EventLoop, supervisor: Supervisor, configuration: ClusterConfiguration = .init()) {
        precondition(!seeds.isEmpty, "a cluster client needs at least one seed address")
        self.seeds = seeds
        self.loop = loop
        self.supervisor = supervisor
        self.configuration = configuration
    }

    /// Asks for the topology now and every `refreshInterval` (also done by the first use).
    public func start() {
        guard !started else { return }
        started = true
        loop.scheduleRepeating(every: configuration.refreshInterval) { [weak self] in
            self?.assumeIsolated { client in
                client.requestRefresh()
                client.ensureChildren()
            }
        }
        requestRefresh()
    }

    /// Number of slots with a known master (16384 once the whole cluster is known).
    public var coveredSlotCount: Int { topology.coveredSlotCount }

    /// The masters known now.
    public var masters: [ValkeyAddress] { topology.masters }

    /// The master that serves `key`'s slot now, as far as this client knows.
    public func owner(ofKey key: [UInt8]) -> ValkeyAddress? { owner(ofSlot: HashSlot.slot(forKey: key)).map { nodeAddresses[$0] } }

    /// The subscriber link of a master, if one was made.
    public func subscriber(of master: ValkeyAddress) -> ShardSubscriber? { subscribers[master] }

    // MARK: ValkeyClient

    public func submit(_ batch: [UInt8], commands: Int, key: [UInt8],
                       completion: sending @escaping (Result<[RESPValue], ShardLinkError>) -> Void) -> Bool {
        guard commands > 0 else {
            completion(.success([]))
            return true
        }
        if !started { start() }
        let slot = HashSlot.slot(forKey: key)
        nextBatchID &+= 1
        let entry = ClusterBatch(id: nextBatchID, slot: slot, bytes: batch, commandCount: commands, completion: completion)
        if let target = owner(ofSlot: slot), maySend(slot, to: target) {
            guard send(entry, indices: nil, to: target, asking: false) else {
                counters.refused.add(1, ordering: .relaxed)
                return false
            }
            batches[entry.id] = entry
            noteSent(slot, to: target)
            return true
        }
        batches[entry.id] = entry
        watch(slot)
        flights[slot]?.held.append(entry.id)
        if owner(ofSlot: slot) == nil {
            unroutedSlots.insert(slot)
            requestRefresh()
        }
        return true
    }
}

/// State of the topology refresh: at most one `CLUSTER SLOTS` in flight.
struct RefreshState {
    /// Generation of the request in flight, nil when none is.
    var inFlight: UInt64?
    var generation: UInt64 = 0
    /// A refresh was asked for while one was in flight: do another after it.
    var again = false
    /// Rotates the node asked after failures.
    var nextCandidate = 0
    var timeoutTimer: UInt64?
    var retryTimer: UInt64?
}

/// Counters of a cluster client, atomics so metrics never hop onto the loop.
public final class ClusterCounters: Sendable {
    /// `-MOVED` replies followed.
    public let moved = Atomic<Int>(0)
    /// `-ASK` replies followed.
    public let ask = Atomic<Int>(0)
    /// `-TRYAGAIN` replies retried.
    public let tryAgain = Atomic<Int>(0)
    /// Batches failed after too many redirects.
    public let redirectLimit = Atomic<Int>(0)
    /// Batches refused (a full outbox).
    public let refused = Atomic<Int>(0)
    /// Topologies read.
    public let refreshes = Atomic<Int>(0)
    /// Topology reads that failed or timed out.
    public let refreshFailures = Atomic<Int>(0)
    /// Channels moved to another master's subscriber.
    public let channelMoves = Atomic<Int>(0)

    init() {}
}
