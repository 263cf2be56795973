import Actors
import Synchronization
import TestSupport

/// Test children remote-controlled by the test: each incarnation logs `start ID`, then
/// waits for an order (`fail`, `exit`) or for cancellation, logs what ended it
/// (`fail ID`, `exit ID`, `stop ID`) and ends accordingly.
///
/// `live` counts the puppets' run loops that are running: a per-test leak check that does
/// not depend on the process-wide `SupervisionStats`.
final class Puppets: Sendable {
    enum Order: Sendable {
        case fail
        case exit
        case cancelled
    }

    private struct Waiting {
        let token: Int
        let continuation: CheckedContinuation<Order, Never>
    }

    private struct State {
        var nextToken = 0
        var waiting: [String: Waiting] = [:]
    }

    let log = EventLog()
    private let state = Mutex(State())
    private let liveCount = Atomic<Int>(0)

    /// Puppet run loops running now.
    var live: Int { liveCount.load(ordering: .relaxed) }

    /// A puppet child. With `stuck`, a cancelled puppet keeps running until the gate opens
    /// (a child that ignores cancellation); `onStart` runs first in each incarnation.
    func spec(
        _ id: String,
        restart: RestartPolicy = .permanent,
        shutdown: ShutdownPolicy = .timeout(.seconds(5)),
        stuck: Gate? = nil,
        onStart: (@Sendable (ChildContext) -> Void)? = nil
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdown: shutdown) { context in
            self.liveCount.add(1, ordering: .relaxed)
            defer { self.liveCount.subtract(1, ordering: .relaxed) }
            onStart?(context)
            self.log.record("start \(id)")
            switch await self.waitForOrder(id) {
            case .fail:
                self.log.record("fail \(id)")
                throw InjectedFailure(id: id)
            case .exit:
                self.log.record("exit \(id)")
            case .cancelled:
                if let stuck { await stuck.wait() }
                self.log.record("stop \(id)")
            }
        }
    }

    /// Whether the current incarnation of `id` waits for an order.
    func isWaiting(_ id: String) -> Bool {
        state.withLock { $0.waiting[id] != nil }
    }

    /// Makes the running incarnation of `id` throw (waits for one to be running).
    func fail(_ id: String) async throws {
        try await order(.fail, to: id)
    }

    /// Makes the running incarnation of `id` return normally.
    func exit(_ id: String) async throws {
        try await order(.exit, to: id)
    }

    private func order(_ order: Order, to id: String) async throws {
        var taken: CheckedContinuation<Order, Never>?
        try await eventually("\(id) running", timeout: .seconds(5)) {
            taken = state.withLock { $0.waiting.removeValue(forKey: id)?.continuation }
            return taken != nil
        }
        taken?.resume(returning: order)
    }

    private func waitForOrder(_ id: String) async -> Order {
        let token = state.withLock { state -> Int in
            state.nextToken += 1
            return state.nextToken
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Order, Never>) in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    state.waiting[id] = Waiting(token: token, continuation: continuation)
                    return false
                }
                if cancelled { continuation.resume(returning: .cancelled) }
            }
        } onCancel: {
            let waiting = state.withLock { state -> Waiting? in
                guard let waiting = state.waiting[id], waiting.token == token else { return nil }
                state.waiting[id] = nil
                return waiting
            }
            waiting?.continuation.resume(returning: .cancelled)
        }
    }
}
