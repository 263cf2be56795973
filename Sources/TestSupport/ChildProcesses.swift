@preconcurrency import Glibc
import Synchronization

/// Processes started by tests, killed when the test process exits, so a server a test
/// forgot (or could not stop: children of the test runner may start with SIGTERM blocked)
/// never outlives the run.
public enum ChildProcesses {
    private static let pids = Mutex<Set<Int32>>([])
    private static let installed = Atomic<Bool>(false)

    /// Tracks `pid` until `forget`; installs the exit hook on first use.
    public static func track(_ pid: Int32) {
        if !installed.exchange(true, ordering: .relaxed) {
            atexit { ChildProcesses.killAll() }
        }
        pids.withLock { _ = $0.insert(pid) }
    }

    /// Stops tracking `pid` (it was stopped).
    public static func forget(_ pid: Int32) {
        pids.withLock { _ = $0.remove(pid) }
    }

    /// Kills every tracked process (SIGKILL cannot be blocked).
    public static func killAll() {
        let all = pids.withLock { pids -> Set<Int32> in
            defer { pids.removeAll() }
            return pids
        }
        for pid in all { kill(pid, SIGKILL) }
    }
}
