import Actors
import Gateway
import Rooms
import Shards

/// One shard link's health and counters.
public struct ShardStatus: Sendable, Equatable {
    /// `shard-N`.
    public var name: String
    /// `host:port`.
    public var address: String
    /// Connected now.
    public var connected: Bool
    /// Commands waiting (unsent or in flight).
    public var outbox: Int
    /// Commands accepted since start.
    public var commands: Int
    /// Error replies since start.
    public var errors: Int
    /// Batches refused (outbox full) since start.
    public var refused: Int
    /// Connections lost since start.
    public var disconnects: Int
    /// Commands written per flush since start.
    public var batchSizes: HistogramSnapshot
}

/// Messages dropped for one reason, by priority class.
public struct DropCount: Sendable, Equatable {
    /// `budget`, `slow_consumer`, `level` or `idle` (docs/operations.md).
    public var reason: String
    /// The priority class of what was dropped.
    public var priority: MessagePriority
    /// How many since start.
    public var count: Int
}

/// The node's latency histograms.
public struct LatencySnapshots: Sendable {
    /// `send`/`dm` handled to ack queued (through the store).
    public var storeToAck: HistogramSnapshot
    /// Room message handled (local) or arrived from another node (remote) to its frames
    /// queued for every local recipient.
    public var fanOutLocal: HistogramSnapshot, fanOutRemote: HistogramSnapshot

    /// Reads the chat service's histograms.
    init(_ counters: ChatCounters) {
        storeToAck = counters.storeToAck.snapshot()
        fanOutLocal = counters.fanOutLocal.snapshot()
        fanOutRemote = counters.fanOutRemote.snapshot()
    }
}

/// Everything operators read about the node at one instant, gathered on the loop (where
/// the chat service's state lives) and rendered as `/metrics`, `/health` or `stats`.
public struct NodeSnapshot: Sendable {
    /// Open connections (HTTP and WebSocket).
    public var connections = 0
    /// Connections accepted and refused (over `MAX_CONNECTIONS`) since start.
    public var accepted = 0, refused = 0
    /// Open chat sessions (authenticated WebSockets).
    public var sessions = 0
    /// Chat sessions by connection tier (premium, active, lurker, idle).
    public var tiers: [String: Int] = [:]
    /// Active rooms.
    public var rooms = 0
    /// Client messages received; fan-out deliveries; frames queued for clients.
    public var received = 0, delivered = 0, framesOut = 0
    /// Valid commands received and deliveries, by priority class (lowest first).
    public var receivedByPriority: [(priority: MessagePriority, count: Int)] = []
    public var deliveredByPriority: [(priority: MessagePriority, count: Int)] = []
    /// Messages dropped, by reason and priority.
    public var dropped: [DropCount] = []
    /// Latency histograms (nil until gathered).
    public var latencies: LatencySnapshots?
    /// LOW frames dropped by full queues; sends refused by the rate limit; connections
    /// closed as slow consumers (4008); connections closed for protocol errors.
    public var droppedLow = 0, rateLimited = 0, slowConsumers = 0, protocolErrors = 0
    /// Room messages delivered after a larger id; sequenced messages delivered without their
    /// echo (see CrossNodeRoom).
    public var crossNodeLate = 0, crossNodeOverdueEchoes = 0
    /// Bytes read from and written to clients.
    public var bytesIn = 0, bytesOut = 0
    /// Admin broadcasts sent.
    public var adminBroadcasts = 0
    /// Room deliveries paced into batches; upgrades waiting for admission, admitted after
    /// waiting, refused with 503.
    public var paced = 0, admissionWaiting = 0, admissionAdmitted = 0, admissionRefused = 0
    /// The shard links.
    public var shards: [ShardStatus] = []
    /// Degradation levels and how often the effective one changed.
    public var levels = DegradationControl.Levels(measured: .normal, pinned: nil)
    public var levelChanges = 0
    /// Draining (WebSockets refused, `/health` 503).
    public var draining = false
    /// Restarts performed by each supervisor, by path.
    public var restartsBySupervisor: [(path: String, restarts: Int)] = []
    /// The actors with the deepest mailboxes (then the most processed), at most ten.
    public var busiest: [ActorStatistics] = []
    /// CPU seconds of each event-loop thread, by loop number.
    public var loopCPUSeconds: [(loop: Int, seconds: Double)] = []
    /// Resident memory, CPU seconds used, open descriptors (nil when unknown).
    public var residentBytes: Int?, cpuSeconds: Double?, openDescriptors: Int?
    /// Rates over the last second.
    public var rates = NodeRates()
    /// Seconds since the node was built; start time in seconds since the epoch.
    public var uptimeSeconds = 0.0, startTimeSeconds = 0.0
    /// This node's NODE_ID (configured or claimed from Valkey).
    public var nodeID = 0
    /// Memory limit in bytes (`MEMORY_LIMIT_MB`).
    public var memoryLimitBytes = 0

    /// Shards connected now.
    public var shardsUp: Int { shards.filter(\.connected).count }

    /// `ok`, `draining`, or `no_storage` (shards configured and none reachable).
    public var status: String {
        if draining { return "draining" }
        if !shards.isEmpty && shardsUp == 0 { return "no_storage" }
        return "ok"
    }

    /// The numeric value of a level for metrics: normal 0, elevated 1, high 2, critical 3.
    public static func levelValue(_ level: LoadLevel) -> Int {
        LoadLevel.allCases.firstIndex(of: level) ?? 0
    }
}
