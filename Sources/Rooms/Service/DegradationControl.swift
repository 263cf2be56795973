import Actors
import Synchronization

/// The node's degradation level as the chat service sees it: the level the load monitor
/// measured, and a level an operator pinned over the control socket (DESIGN.md, "Load and
/// degradation": "An operator can pin a level through the control socket").
///
/// ```
/// load monitor ──setMeasured──┐
///                             ├──> effective = pinned ?? measured ──> chat service, /metrics
/// control socket ──pin/unpin──┘
/// ```
///
/// Shared by the load monitor (any thread), the control socket (its own thread) and the
/// chat service (the loop): state under a `Mutex`, and the effective level mirrored in an
/// atomic so the hot path reads it without taking the lock. Observers registered with
/// `onChange` are called, outside the lock, on the thread that caused the change.
public final class DegradationControl: Sendable {
    /// A consistent view of the levels.
    public struct Levels: Sendable, Equatable {
        /// What the load monitor measured last.
        public var measured: LoadLevel
        /// What an operator pinned, if anything.
        public var pinned: LoadLevel?
        /// The level in force: the pinned one when set, else the measured one.
        public var effective: LoadLevel { pinned ?? measured }

        /// Levels as given.
        public init(measured: LoadLevel, pinned: LoadLevel?) {
            self.measured = measured
            self.pinned = pinned
        }
    }

    private struct State {
        var levels: Levels
        var changes = 0
        var observers: [@Sendable (LoadLevel) -> Void] = []
    }

    private let state: Mutex<State>
    private let effectiveIndex: Atomic<Int>

    /// A control at `level`, nothing pinned.
    public init(level: LoadLevel = .normal) {
        state = Mutex(State(levels: Levels(measured: level, pinned: nil)))
        effectiveIndex = Atomic(Self.index(of: level))
    }

    /// The level in force; one atomic load (safe on the hot path).
    public var effective: LoadLevel {
        LoadLevel.allCases[effectiveIndex.load(ordering: .relaxed)]
    }

    /// The measured, pinned and effective levels together.
    public var levels: Levels { state.withLock { $0.levels } }

    /// Times the effective level changed since start (for metrics).
    public var changes: Int { state.withLock { $0.changes } }

    /// Records the level the load monitor measured.
    public func setMeasured(_ level: LoadLevel) {
        update { $0.measured = level }
    }

    /// Pins `level` until `unpin()`, whatever the load monitor measures.
    public func pin(_ level: LoadLevel) {
        update { $0.pinned = level }
    }

    /// Returns control to the load monitor.
    public func unpin() {
        update { $0.pinned = nil }
    }

    /// Calls `observer` with the new effective level after each change.
    public func onChange(_ observer: @escaping @Sendable (LoadLevel) -> Void) {
        state.withLock { $0.observers.append(observer) }
    }

    private func update(_ body: (inout Levels) -> Void) {
        let (changed, level, observers) = state.withLock { state -> (Bool, LoadLevel, [@Sendable (LoadLevel) -> Void]) in
            let before = state.levels.effective
            body(&state.levels)
            let after = state.levels.effective
            guard after != before else { return (false, after, []) }
            state.changes += 1
            effectiveIndex.store(Self.index(of: after), ordering: .relaxed)
            return (true, after, state.observers)
        }
        guard changed else { return }
        Log.info("degradation.level", ["level": level.rawValue])
        for observer in observers { observer(level) }
    }

    private static func index(of level: LoadLevel) -> Int {
        LoadLevel.allCases.firstIndex(of: level) ?? 0
    }
}
