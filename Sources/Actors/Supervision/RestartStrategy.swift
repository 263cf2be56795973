/// Which siblings a supervisor restarts together with a failed child (OTP strategies).
///
/// ```
/// children in start order:  A  B  C  D        C fails
/// oneForOne:   stop -            start C
/// oneForAll:   stop D, B, A      start A B C D
/// restForOne:  stop D            start C D
/// ```
public enum RestartStrategy: String, Sendable, Codable {
    case oneForOne
    case oneForAll
    case restForOne

    /// The plan for a failure of the child at `failed` among `count` children in start order.
    public func plan(failed: Int, count: Int) -> RestartPlan {
        guard failed >= 0, failed < count else { return RestartPlan(toStop: [], toStart: []) }
        switch self {
        case .oneForOne:
            return RestartPlan(toStop: [], toStart: [failed])
        case .oneForAll:
            let others = (0..<count).filter { $0 != failed }
            return RestartPlan(toStop: others.reversed(), toStart: Array(0..<count))
        case .restForOne:
            let later = Array((failed + 1)..<count)
            return RestartPlan(toStop: later.reversed(), toStart: Array(failed..<count))
        }
    }
}

/// What a supervisor does about one failure: stop `toStop` in that order (reverse start
/// order), then start `toStart` in that order (start order). Indices are child positions.
public struct RestartPlan: Sendable, Equatable {
    /// Siblings to stop, last started first. Never contains the failed child (it has exited).
    public var toStop: [Int]
    /// Children to start, first started first; includes the failed child.
    public var toStart: [Int]

    /// A plan; see the type's summary.
    public init(toStop: [Int], toStart: [Int]) {
        self.toStop = toStop
        self.toStart = toStart
    }
}
