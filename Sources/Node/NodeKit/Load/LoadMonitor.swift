import Actors
import Rooms
import Synchronization

/// The load monitor (`/node/load-monitor`): samples CPU, memory and connections every
/// interval, runs the level state machine, and hands every change of the measured level
/// to `apply` (the node's `DegradationControl`, where operators pin levels and whose
/// changes reach the chat service: rates, shed features, `mode` events).
public actor LoadMonitor: Inspectable {
    private var machine = LoadLevelStateMachine()
    private var sampler: any LoadSampler
    private let interval: Duration
    private let connections: @Sendable () -> (open: Int, max: Int)
    private let apply: @Sendable (LoadLevel) -> Void
    private let origin = ContinuousClock.now
    /// The last sample taken.
    public private(set) var lastSample = LoadSample(cpu: 0, memory: 0, connections: 0)
    nonisolated let samples = Atomic<Int>(0)
    /// Level changes since start (for metrics).
    public nonisolated let changes = Atomic<Int>(0)

    /// A monitor sampling every `interval`; `recovery` overrides the state machine's
    /// timing (tests use seconds instead of minutes).
    public init(sampler: any LoadSampler, interval: Duration = .seconds(5),
                recovery: (delay: Double, step: Double)? = nil,
                connections: @escaping @Sendable () -> (open: Int, max: Int),
                apply: @escaping @Sendable (LoadLevel) -> Void) {
        self.sampler = sampler
        self.interval = interval
        self.connections = connections
        self.apply = apply
        if let recovery {
            machine.recoveryDelay = recovery.delay
            machine.stepInterval = recovery.step
        }
    }

    /// The level in force.
    public var level: LoadLevel { machine.level }

    /// Takes one sample now.
    public func sampleNow() {
        let (open, max) = connections()
        lastSample = sampler.sample(connections: open, maxConnections: max)
        samples.add(1, ordering: .relaxed)
        let elapsed = ContinuousClock.now - origin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        record(machine.sample(load: lastSample.load, at: seconds))
    }

    private func record(_ change: LoadLevelStateMachine.Change) {
        guard case .changed(let from, let to) = change else { return }
        changes.add(1, ordering: .relaxed)
        Log.warn("load.change", ["from": from.rawValue, "to": to.rawValue, "load": String(lastSample.load)])
        apply(to)
    }

    /// The supervised run loop: sample, sleep, repeat, until cancelled.
    public func run(_ context: ChildContext?) async throws {
        context?.register(self)
        while !Task.isCancelled {
            sampleNow()
            try await Task.sleep(for: interval)
        }
    }

    // MARK: Inspectable

    public nonisolated var mailboxDepth: Int { 0 }
    public nonisolated var processed: Int { samples.load(ordering: .relaxed) }

    public func inspectionSummary() async -> String {
        let sample = lastSample
        return "level=\(machine.level.rawValue) pinned=\(machine.pinned?.rawValue ?? "no") load=\(Int(sample.load * 100))%"
            + " cpu=\(Int(sample.cpu * 100))% mem=\(Int(sample.memory * 100))% conns=\(Int(sample.connections * 100))%"
    }
}

/// A sampler that replays a script of samples (tests), repeating the last one.
public struct ScriptedLoadSampler: LoadSampler {
    private var script: [LoadSample]
    private var index = 0

    /// A sampler over `script`.
    public init(_ script: [LoadSample]) {
        self.script = script
    }

    public mutating func sample(connections: Int, maxConnections: Int) -> LoadSample {
        guard !script.isEmpty else { return LoadSample(cpu: 0, memory: 0, connections: 0) }
        let sample = script[min(index, script.count - 1)]
        index += 1
        return sample
    }
}
