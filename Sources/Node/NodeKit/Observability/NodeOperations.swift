import Actors
import Foundation
import Gateway
import Rooms
import Shards
import Synchronization

/// What operators watch and steer, shared by the control socket, `/metrics` and `/health`:
/// the degradation control, the 1 s sampler, the drain flag, and the way to gather a
/// `NodeSnapshot` on the loop.
public final class NodeOperations: Sendable {
    /// The degradation level (measured by the load monitor, pinned by operators).
    public let degradation: DegradationControl
    /// Rates, memory and CPU, sampled once a second.
    public let sampler: NodeSampler
    /// The admission queue's counters (AdmissionControl).
    public let admission = AdmissionCounters()
    let registry: ActorRegistry
    let chat: ChatService
    let links: [ShardLink]
    /// The Valkey Cluster client, whose per-master links are listed like the shard map's.
    let cluster: ClusterClient?
    let memoryLimitBytes: Int
    let startedAt = ContinuousClock.now
    let startTimeSeconds = Date().timeIntervalSince1970
    private let drainFlag = Atomic<Bool>(false)
    private let gatewayCounters: GatewayCountersSlot

    init(registry: ActorRegistry, chat: ChatService, links: [ShardLink], cluster: ClusterClient? = nil,
         degradation: DegradationControl, memoryLimitBytes: Int) {
        self.registry = registry
        self.chat = chat
        self.links = links
        self.cluster = cluster
        self.degradation = degradation
        self.memoryLimitBytes = memoryLimitBytes
        let counters = chat.counters
        let started = ContinuousClock.now
        let gatewayCounters = GatewayCountersSlot()
        self.gatewayCounters = gatewayCounters
        let framesOut: @Sendable () -> Int = { gatewayCounters.value.withLock { $0?.framesOut.load(ordering: .relaxed) ?? 0 } }
        sampler = NodeSampler {
            let elapsed = ContinuousClock.now - started
            return NodeSample(
                atSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                received: counters.received.load(ordering: .relaxed), framesOut: framesOut(),
                delivered: counters.delivered.load(ordering: .relaxed), cpuSeconds: ProcessStats.cpuSeconds())
        }
    }

    /// Connects the gateway's counters (the gateway is built after this object).
    func attach(_ counters: GatewayCounters) {
        gatewayCounters.value.withLock { $0 = counters }
    }

    /// Whether the node is draining: WebSocket upgrades get 503, `/health` says 503.
    public var isDraining: Bool { drainFlag.load(ordering: .relaxed) }

    /// Starts draining (idempotent); returns whether it was already draining.
    @discardableResult
    func startDraining() -> Bool {
        drainFlag.exchange(true, ordering: .relaxed)
    }

    /// Gathers the snapshot; on the loop (the gateway's isolation), where the chat
    /// service and the shard links live.
    func snapshot(on gateway: isolated Gateway) -> NodeSnapshot {
        var snapshot = NodeSnapshot()
        let counters = gateway.counters
        snapshot.connections = counters.open.load(ordering: .relaxed)
        snapshot.accepted = counters.accepted.load(ordering: .relaxed)
        snapshot.refused = counters.refused.load(ordering: .relaxed)
        snapshot.framesOut = counters.framesOut.load(ordering: .relaxed)
        snapshot.droppedLow = counters.droppedLow.load(ordering: .relaxed)
        snapshot.slowConsumers = counters.slowConsumers.load(ordering: .relaxed)
        snapshot.protocolErrors = counters.protocolErrors.load(ordering: .relaxed)
        snapshot.bytesIn = counters.bytesIn.load(ordering: .relaxed)
        snapshot.bytesOut = counters.bytesOut.load(ordering: .relaxed)
        snapshot.sessions = chat.sessionCount
        snapshot.tiers = Dictionary(uniqueKeysWithValues: ConnectionTier.allCases.map { ($0.rawValue, chat.connectionsByTier[$0] ?? 0) })
        snapshot.rooms = chat.roomCount
        snapshot.nodeID = Int(chat.nodeID)
        snapshot.received = chat.counters.received.load(ordering: .relaxed)
        snapshot.delivered = chat.counters.delivered.load(ordering: .relaxed)
        snapshot.rateLimited = chat.counters.rateLimited.load(ordering: .relaxed)
        snapshot.crossNodeLate = chat.lateCrossNodeMessages
        snapshot.crossNodeOverdueEchoes = chat.overdueEchoes
        snapshot.adminBroadcasts = chat.counters.adminBroadcasts.load(ordering: .relaxed)
        snapshot.paced = chat.counters.paced.load(ordering: .relaxed)
        snapshot.admissionWaiting = admission.waiting.load(ordering: .relaxed)
        snapshot.admissionAdmitted = admission.admittedAfterWait.load(ordering: .relaxed)
        snapshot.admissionRefused = admission.refused.load(ordering: .relaxed)
        let allLinks = links + (cluster?.assumeIsolated { $0.commandLinks } ?? [])
        snapshot.shards = allLinks.map { link in
            let counters = link.counters
            return ShardStatus(
                name: link.name, address: "\(link.host):\(link.port)",
                connected: link.assumeIsolated { $0.isConnected },
                outbox: counters.waiting.load(ordering: .relaxed), commands: counters.commands.load(ordering: .relaxed),
                errors: counters.errorReplies.load(ordering: .relaxed), refused: counters.refused.load(ordering: .relaxed),
                disconnects: counters.disconnects.load(ordering: .relaxed), batchSizes: counters.batchSizes.snapshot())
        }
        fillMessages(&snapshot, gateway: counters)
        fill(&snapshot)
        return snapshot
    }

    /// Messages by priority, drops by reason, latencies. Read on the loop, where the chat
    /// service counts: the valid commands never exceed `received` in one reading.
    private func fillMessages(_ snapshot: inout NodeSnapshot, gateway counters: GatewayCounters) {
        let chatCounters = chat.counters
        snapshot.receivedByPriority = chatCounters.receivedByPriority.counts
        snapshot.deliveredByPriority = chatCounters.deliveredByPriority.counts
        var dropped = [DropCount(reason: "budget", priority: .low, count: counters.droppedLow.load(ordering: .relaxed))]
        for priority in [MessagePriority.normal, .high, .critical] {
            dropped.append(DropCount(reason: "slow_consumer", priority: priority, count: counters.droppedOverBudget.count(priority)))
        }
        dropped.append(DropCount(reason: "level", priority: .low, count: chatCounters.droppedByLevel.count(.low)))
        dropped.append(DropCount(reason: "idle", priority: .low, count: chatCounters.droppedIdle.count(.low)))
        snapshot.dropped = dropped
        snapshot.latencies = LatencySnapshots(chatCounters)
    }

    /// The parts that need no loop: registry, levels, process figures (from the sampler).
    private func fill(_ snapshot: inout NodeSnapshot) {
        snapshot.levels = degradation.levels
        snapshot.levelChanges = degradation.changes
        snapshot.draining = isDraining
        snapshot.restartsBySupervisor = registry.restartsBySupervisor()
            .map { (path: $0.key.description, restarts: $0.value) }
            .sorted { $0.path < $1.path }
        snapshot.busiest = Array(registry.statistics()
            .filter { $0.status == .running }
            .sorted { $0.mailbox != $1.mailbox ? $0.mailbox > $1.mailbox : $0.processed > $1.processed }
            .prefix(10))
        (snapshot.residentBytes, snapshot.cpuSeconds, snapshot.openDescriptors) = sampler.process
        snapshot.loopCPUSeconds = ProcessStats.loopThreadCPUSeconds()
        snapshot.rates = sampler.rates
        let elapsed = ContinuousClock.now - startedAt
        snapshot.uptimeSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        snapshot.startTimeSeconds = startTimeSeconds
        snapshot.memoryLimitBytes = memoryLimitBytes
    }
}

/// Where the gateway's counters are put once the gateway exists.
private final class GatewayCountersSlot: Sendable {
    let value = Mutex<GatewayCounters?>(nil)
}
