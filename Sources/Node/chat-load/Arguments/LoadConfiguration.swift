/// Everything a run needs, from the scenario's defaults and the flags.
struct LoadConfiguration: Sendable, Equatable {
    var scenario: Scenario
    /// The WebSocket endpoint, `ws://host[:port]/path`.
    var url = "ws://127.0.0.1:8080/ws"
    /// HS256 secret to mint tokens with (`sub` = `userBase` + connection index).
    var secret: String?
    /// Instead of minting: fetch each token from this URL (`/dev/token` of a node in
    /// development mode), `?user=load-<index>` appended.
    var tokenURL: String?
    /// Connections at the end (ramp: after the ramp).
    var connections = 1_000
    /// Ramp only: connections opened at once before the ramp.
    var startConnections = 0
    /// Ramp only: seconds over which the rest are opened.
    var rampSeconds: Double = 0
    /// How long messages are sent (ramp: the hold after the ramp); for burst, derived.
    var duration: Double = 60
    /// Rooms; connection `i` joins room `roomBase + i % rooms`.
    var rooms = 100
    var roomBase: UInt32 = 1
    var pacing: Pacing = .none
    /// How many connections send (the first ones); nil means every connection.
    var senders: Int?
    /// Bytes of text per message (the send stamp, sender and `x` padding).
    var size = 64
    /// Event loops (threads) to spread the connections over.
    var threads = 1
    /// The node's process id when it runs on this machine: CPU and RSS from /proc.
    var pid: Int32?
    /// Where the node's metrics are when `pid` is not given (default: the url's host and
    /// port, path `/metrics`).
    var metricsURL: String?
    var json = false
    var allowRemote = false
    /// Send messages as compact binary frames (PROTOCOL.md) instead of JSON.
    var binary = false
    /// No progress line.
    var quiet = false
    /// New connections per second at most (all loops together).
    var connectRate: Double = 2_000
    /// A connection that has not opened (and joined) within this many seconds fails.
    var connectTimeout: Double = 10
    /// After sending stops: how long to wait for outstanding acks and deliveries.
    var drainSeconds: Double = 5
    /// Node CPU/RSS sampling period.
    var sampleSeconds: Double = 10
    /// User id of connection 0 when minting tokens.
    var userBase: UInt32 = 1_000_000
    /// Hard stop, seconds after start; nil means computed from the phases.
    var deadline: Double?
    /// Print the resolved configuration as JSON and exit (for tests and scripts).
    var printConfig = false

    init(scenario: Scenario) {
        self.scenario = scenario
    }

    /// How long messages are sent, whatever the pacing.
    var sendingSeconds: Double {
        switch pacing {
        case .burst(let count, let gap): return Double(max(0, count - 1)) * gap
        default: return scenario == .ramp ? rampSeconds + duration : duration
        }
    }

    /// Time allowed for opening every connection before sending starts (ramp: none, its
    /// connections open while it sends).
    var connectBudget: Double {
        if scenario == .ramp { return connectTimeout + Double(startConnections) / connectRate }
        return connectTimeout + Double(connections) / connectRate
    }

    /// The hard deadline: every phase at its longest plus a margin. The run stops then
    /// even if the server stalls.
    var hardDeadline: Double {
        deadline ?? (connectBudget + sendingSeconds + drainSeconds + 2 + 5)
    }

    /// The room of connection `index`.
    func room(of index: Int) -> UInt32 {
        roomBase &+ UInt32(truncatingIfNeeded: index % max(1, rooms))
    }

    /// Whether connection `index` sends.
    func sends(_ index: Int) -> Bool {
        guard pacing != .none else { return false }
        return index < (senders ?? connections)
    }
}
