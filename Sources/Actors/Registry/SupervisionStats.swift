import Synchronization

/// Process-wide counters of the supervision runtime, readable from anywhere.
///
/// `liveChildTasks` counts child run loops that have started and not yet returned,
/// including detached ones: a test compares it before and after to find leaked tasks.
public enum SupervisionStats {
    private static let live = Atomic<Int>(0)
    private static let detached = Atomic<Int>(0)
    private static let restarts = Atomic<Int>(0)

    /// Child run loops running now, in all supervisors of the process.
    public static var liveChildTasks: Int { live.load(ordering: .relaxed) }
    /// Children left behind after exceeding their shutdown budget, since start.
    public static var detachedChildren: Int { detached.load(ordering: .relaxed) }
    /// Restarts performed by all supervisors since start.
    public static var totalRestarts: Int { restarts.load(ordering: .relaxed) }

    static func childTaskStarted() { live.add(1, ordering: .relaxed) }
    static func childTaskEnded() { live.subtract(1, ordering: .relaxed) }
    static func childDetached() { detached.add(1, ordering: .relaxed) }
    static func childRestarted() { restarts.add(1, ordering: .relaxed) }
}
