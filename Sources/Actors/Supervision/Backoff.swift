/// Delay before restarting a child that keeps failing.
///
/// The first restart after a healthy run waits `initial`, each consecutive quick failure
/// multiplies the wait by `factor` up to `max`. A child that ran for at least `resetAfter`
/// before failing starts again from `initial`. Pure: the supervisor asks for the delay of
/// the nth consecutive restart.
public enum Backoff: Sendable, Equatable {
    /// Restart at once.
    case none
    /// Exponential delays, capped.
    case exponential(initial: Duration, factor: Int, max: Duration, resetAfter: Duration)

    /// Exponential backoff with the usual reset window (ten times the cap).
    public static func exponential(initial: Duration, factor: Int = 2, max: Duration) -> Backoff {
        .exponential(initial: initial, factor: factor, max: max, resetAfter: max * 10)
    }

    /// The delay before the `attempt`th consecutive restart (1 is the first).
    public func delay(forAttempt attempt: Int) -> Duration {
        switch self {
        case .none:
            return .zero
        case .exponential(let initial, let factor, let cap, _):
            guard attempt > 0 else { return .zero }
            var delay = initial
            var step = 1
            while step < attempt && delay < cap {
                delay = delay * max(1, factor)
                step += 1
            }
            return min(delay, cap)
        }
    }

    /// Whether a child that ran for `uptime` before failing starts its backoff over.
    public func resets(afterRunningFor uptime: Duration) -> Bool {
        switch self {
        case .none: return true
        case .exponential(_, _, _, let resetAfter): return uptime >= resetAfter
        }
    }
}
