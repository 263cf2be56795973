import Synchronization

/// One counter per priority class (an atomic each), for metrics labelled by priority:
/// adding is one relaxed atomic add, readable from any thread.
public final class PriorityCounts: Sendable {
    private let low = Atomic<Int>(0)
    private let normal = Atomic<Int>(0)
    private let high = Atomic<Int>(0)
    private let critical = Atomic<Int>(0)

    /// Zero for every class.
    public init() {}

    /// Adds `amount` to `priority`'s counter.
    @inline(__always)
    public func add(_ priority: MessagePriority, _ amount: Int = 1) {
        switch priority {
        case .low: low.wrappingAdd(amount, ordering: .relaxed)
        case .normal: normal.wrappingAdd(amount, ordering: .relaxed)
        case .high: high.wrappingAdd(amount, ordering: .relaxed)
        case .critical: critical.wrappingAdd(amount, ordering: .relaxed)
        }
    }

    /// The count of one class.
    public func count(_ priority: MessagePriority) -> Int {
        switch priority {
        case .low: return low.load(ordering: .relaxed)
        case .normal: return normal.load(ordering: .relaxed)
        case .high: return high.load(ordering: .relaxed)
        case .critical: return critical.load(ordering: .relaxed)
        }
    }

    /// Every class's count, lowest class first.
    public var counts: [(priority: MessagePriority, count: Int)] {
        MessagePriority.allCases.map { ($0, count($0)) }
    }

    /// The sum over the classes.
    public var total: Int { MessagePriority.allCases.reduce(0) { $0 &+ count($1) } }
}
