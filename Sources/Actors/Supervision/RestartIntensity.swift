/// OTP's restart intensity: at most `maxRestarts` restarts within any `period`.
///
/// A pure sliding window over timestamps given by the caller (a monotonic time as a
/// `Duration` since any fixed origin), so tests drive it without sleeping. One more
/// restart than allowed means the supervisor gives up: it stops its children and
/// escalates to its parent (`reached_max_restart_intensity`).
public struct RestartIntensity: Sendable, Equatable {
    /// Restarts allowed within `period`.
    public let maxRestarts: Int
    /// Length of the window.
    public let period: Duration
    private var recent: [Duration] = []

    /// A window allowing `maxRestarts` within `period` (OTP's defaults are 1 in 5 s;
    /// ours, 3 in 5 s, suit actors that rebuild their state from Valkey).
    public init(maxRestarts: Int = 3, within period: Duration = .seconds(5)) {
        self.maxRestarts = max(0, maxRestarts)
        self.period = period
    }

    /// Records a restart at `now`; false when that restart exceeds the intensity.
    public mutating func recordRestart(at now: Duration) -> Bool {
        recent.removeAll { now - $0 >= period }
        recent.append(now)
        return recent.count <= maxRestarts
    }

    /// Restarts counted in the window ending at `now`.
    public func restartsInWindow(at now: Duration) -> Int {
        recent.filter { now - $0 < period }.count
    }
}
