import Synchronization

/// Fires once when a child's run loop has returned; a supervisor waits on it, with or
/// without a deadline, when it stops the child.
final class ExitSignal: Sendable {
    private struct Waiter {
        var continuation: CheckedContinuation<Bool, Never>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var fired = false
        var waiters: [Int: Waiter] = [:]
        var nextToken = 0
    }

    private let state = Mutex(State())

    /// Whether the run loop has returned.
    var hasFired: Bool { state.withLock { $0.fired } }

    /// Marks the run loop as returned and wakes every waiter with `true`.
    func fire() {
        let waiters = state.withLock { state -> [Waiter] in
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: true)
        }
    }

    /// Waits until fired (`true`) or until `timeout` passes (`false`); nil waits forever.
    func wait(upTo timeout: Duration?, clock: any SupervisorClock) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let token: Int? = state.withLock { state in
                if state.fired { return nil }
                state.nextToken += 1
                state.waiters[state.nextToken] = Waiter(continuation: continuation, timer: nil)
                return state.nextToken
            }
            guard let token else {
                continuation.resume(returning: true)
                return
            }
            guard let timeout else { return }
            let timer = Task {
                do { try await clock.sleep(for: timeout) } catch { return }
                self.expire(token)
            }
            let stillWaiting = state.withLock { state -> Bool in
                guard state.waiters[token] != nil else { return false }
                state.waiters[token]?.timer = timer
                return true
            }
            if !stillWaiting { timer.cancel() }
        }
    }

    private func expire(_ token: Int) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: token) }
        waiter?.continuation.resume(returning: false)
    }
}
