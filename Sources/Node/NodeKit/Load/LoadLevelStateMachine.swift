import Rooms

/// Decides the degradation level from load samples (DESIGN.md, "Load and degradation").
///
/// Pure: time is given with each sample (seconds on any monotonic scale). Levels step up
/// at once, to whatever level the load calls for. They step down one level at a time:
/// the first step after the load has stayed below the way-down threshold for
/// `recoveryDelay` (30 s), each further step `stepInterval` (135 s) after the previous one
/// while it stays below, so critical → normal takes about 5 minutes. The way-down
/// threshold of a level is the lower of 80 % and the level's own entry threshold (so
/// elevated is left only below 50 %). An operator's pin overrides everything.
///
/// ```
/// load ≥ 0.95 critical   ≥ 0.85 high   ≥ 0.50 elevated   else normal
/// ```
public struct LoadLevelStateMachine: Sendable {
    /// What a sample did.
    public enum Change: Sendable, Equatable {
        /// The level stayed.
        case unchanged
        /// The level changed from, to.
        case changed(from: LoadLevel, to: LoadLevel)
    }

    /// Seconds below the way-down threshold before the first step down.
    public var recoveryDelay: Double = 30
    /// Seconds between further steps down.
    public var stepInterval: Double = 135
    /// The current automatic level.
    public private(set) var automatic: LoadLevel = .normal
    /// The operator's pin, if any.
    public private(set) var pinned: LoadLevel?
    private var belowSince: Double?
    private var lastStepDown: Double?

    /// A machine at normal.
    public init() {}

    /// The level in force (the pin wins).
    public var level: LoadLevel { pinned ?? automatic }

    /// The level a load ratio calls for.
    public static func level(for load: Double) -> LoadLevel {
        if load >= 0.95 { return .critical }
        if load >= 0.85 { return .high }
        if load >= 0.50 { return .elevated }
        return .normal
    }

    /// Load below which `level` may be left.
    public static func wayDownThreshold(from level: LoadLevel) -> Double {
        switch level {
        case .normal: return 0
        case .elevated: return 0.50
        case .high, .critical: return 0.80
        }
    }

    /// The next level down, nil below normal.
    static func levelBelow(_ level: LoadLevel) -> LoadLevel? {
        guard let index = LoadLevel.allCases.firstIndex(of: level), index > 0 else { return nil }
        return LoadLevel.allCases[index - 1]
    }

    /// Takes a sample: `load` is the largest of the CPU, memory and connection ratios.
    public mutating func sample(load: Double, at time: Double) -> Change {
        let before = level
        let wanted = Self.level(for: load)
        if wanted > automatic {
            automatic = wanted
            belowSince = nil
            lastStepDown = nil
        } else if automatic > .normal && load < Self.wayDownThreshold(from: automatic) {
            let since = belowSince ?? time
            belowSince = since
            let due = lastStepDown.map { $0 + stepInterval } ?? (since + recoveryDelay)
            if time >= due, let lower = Self.levelBelow(automatic) {
                automatic = lower
                lastStepDown = time
            }
        } else {
            belowSince = nil
            lastStepDown = nil
        }
        return before == level ? .unchanged : .changed(from: before, to: level)
    }

    /// Pins the level (nil unpins); returns the change in force.
    public mutating func pin(_ level: LoadLevel?) -> Change {
        let before = self.level
        pinned = level
        return before == self.level ? .unchanged : .changed(from: before, to: self.level)
    }
}
