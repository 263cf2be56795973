/// The time source of supervisors: monotonic `now` as a duration since a fixed origin,
/// and sleeping. Injected so tests can run supervision with a controlled clock.
public protocol SupervisorClock: Sendable {
    /// Monotonic time since this clock's origin.
    func now() -> Duration
    /// Sleeps for `duration`; throws when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The real clock (`ContinuousClock`).
public struct SystemSupervisorClock: SupervisorClock {
    private let origin = ContinuousClock.now

    /// A clock whose origin is the moment it was made.
    public init() {}

    public func now() -> Duration { ContinuousClock.now - origin }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}
