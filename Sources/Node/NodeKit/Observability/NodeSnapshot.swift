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
    /// LOW frames dropped by full queues; sends refused by the rate limit; connections
    /// closed as slow consumers (4008); connections closed for protocol errors.
    public var droppedLow = 0, rateLimited = 0, slowConsumers = 0, protocolErrors = 0
    /// Bytes read from and written to clients.
    public var bytesIn = 0, bytesOut = 0
    /// Admin broadcasts sent.
    public var adminBroadcasts = 0
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
