import Synchronization

/// The phases of a run, in order.
///
///     connecting --all joined (or connect budget spent)--> sending --duration--> draining
///         --acks and deliveries complete (or drain time spent)--> closing --> stopped
///
/// Ramp skips `connecting`: its connections open while it sends.
enum RunPhase: UInt8, Sendable, Comparable {
    case connecting = 0
    case sending = 1
    case draining = 2
    case closing = 3
    case stopped = 4

    static func < (lhs: RunPhase, rhs: RunPhase) -> Bool { lhs.rawValue < rhs.rawValue }

    var name: String {
        switch self {
        case .connecting: return "connecting"
        case .sending: return "sending"
        case .draining: return "draining"
        case .closing: return "closing"
        case .stopped: return "stopped"
        }
    }
}

/// What the main thread tells the workers: the current phase and when sending started.
/// Workers read it on their tick (every millisecond), so no closure ever crosses threads.
final class RunControl: Sendable {
    private let phaseValue = Atomic<UInt8>(RunPhase.connecting.rawValue)
    private let sendStartValue = Atomic<UInt64>(0)
    /// Monotonic nanoseconds when the run started (workers schedule the ramp from it).
    let runStart: UInt64

    init(runStart: UInt64) {
        self.runStart = runStart
    }

    var phase: RunPhase { RunPhase(rawValue: phaseValue.load(ordering: .acquiring)) ?? .stopped }

    /// Monotonic nanoseconds when sending started (0 before).
    var sendStart: UInt64 { sendStartValue.load(ordering: .acquiring) }

    /// Moves to `phase` (never back).
    func enter(_ phase: RunPhase, at now: UInt64) {
        if phase == .sending { sendStartValue.store(now, ordering: .releasing) }
        var current = phaseValue.load(ordering: .relaxed)
        while current < phase.rawValue {
            let (exchanged, original) = phaseValue.compareExchange(expected: current, desired: phase.rawValue, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }
}
