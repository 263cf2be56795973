import Synchronization

/// Counter readings at one instant, for rates.
public struct NodeSample: Sendable, Equatable {
    /// When, in seconds on a monotonic clock.
    public var atSeconds: Double
    /// Client messages received so far.
    public var received: Int
    /// Frames queued for clients so far.
    public var framesOut: Int
    /// Fan-out deliveries so far.
    public var delivered: Int
    /// CPU seconds used so far (nil when unknown).
    public var cpuSeconds: Double?

    /// A reading.
    public init(atSeconds: Double, received: Int, framesOut: Int, delivered: Int, cpuSeconds: Double?) {
        self.atSeconds = atSeconds
        self.received = received
        self.framesOut = framesOut
        self.delivered = delivered
        self.cpuSeconds = cpuSeconds
    }
}

/// Rates between two readings.
public struct NodeRates: Sendable, Equatable {
    /// Client messages received per second.
    public var messagesInPerSecond = 0.0
    /// Frames sent to clients per second.
    public var messagesOutPerSecond = 0.0
    /// Fan-out deliveries per second.
    public var deliveriesPerSecond = 0.0
    /// CPU used, in percent of one core.
    public var cpuPercent = 0.0

    /// No traffic.
    public init() {}

    /// The rates from `earlier` to `later`; zero when no time passed or a counter went
    /// back (a restart of whatever counts).
    public static func between(_ earlier: NodeSample, _ later: NodeSample) -> NodeRates {
        var rates = NodeRates()
        let seconds = later.atSeconds - earlier.atSeconds
        guard seconds > 0 else { return rates }
        func rate(_ from: Int, _ to: Int) -> Double { to >= from ? Double(to - from) / seconds : 0 }
        rates.messagesInPerSecond = rate(earlier.received, later.received)
        rates.messagesOutPerSecond = rate(earlier.framesOut, later.framesOut)
        rates.deliveriesPerSecond = rate(earlier.delivered, later.delivered)
        if let from = earlier.cpuSeconds, let to = later.cpuSeconds, to >= from {
            rates.cpuPercent = (to - from) / seconds * 100
        }
        return rates
    }
}

/// Samples the node's counters once a second (driven by a timer on the control loop) and
/// keeps the last rates, memory, CPU and descriptors, so `stats`, `/metrics` and `/health`
/// answer from memory without reading `/proc` on the hot path.
public final class NodeSampler: Sendable {
    private struct State {
        var last: NodeSample?
        var rates = NodeRates()
        var residentBytes: Int?
        var openDescriptors: Int?
    }

    private let state = Mutex(State())
    private let read: @Sendable () -> NodeSample

    /// A sampler taking its readings from `read`.
    public init(read: @escaping @Sendable () -> NodeSample) {
        self.read = read
    }

    /// Takes a reading and updates the rates.
    public func tick() {
        let sample = read()
        let resident = ProcessStats.residentBytes()
        let descriptors = ProcessStats.openDescriptors()
        state.withLock { state in
            if let last = state.last { state.rates = NodeRates.between(last, sample) }
            state.last = sample
            state.residentBytes = resident
            state.openDescriptors = descriptors
        }
    }

    /// The process figures of the last reading (memory, CPU seconds, descriptors), so that
    /// `/metrics` and `/health`, answered on the hot loop, never read `/proc` themselves.
    public var process: (residentBytes: Int?, cpuSeconds: Double?, openDescriptors: Int?) {
        state.withLock { ($0.residentBytes, $0.last?.cpuSeconds, $0.openDescriptors) }
    }

    /// The rates over the last second.
    public var rates: NodeRates { state.withLock { $0.rates } }
}
