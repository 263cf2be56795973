import Actors
import Synchronization

// MARK: - Restart latency: from a child's failure to its next incarnation running

/// What the measured child shares with the benchmark across its incarnations.
final class RestartProbe: Sendable {
    private struct State {
        var failedAt: ContinuousClock.Instant?
        var latencies: [Duration] = []
        var done: CheckedContinuation<Void, Never>?
        var finished = false
    }

    private let state = Mutex(State())
    let restarts: Int

    init(restarts: Int) {
        self.restarts = restarts
        state.withLock { $0.latencies.reserveCapacity(restarts) }
    }

    /// The child: records how long ago the previous incarnation failed, then fails at once
    /// until `restarts` latencies are recorded; then it waits to be stopped.
    var spec: ChildSpec {
        ChildSpec(id: "flapper", shutdown: .brutalKill) { _ in
            let started = ContinuousClock.now
            let done = self.state.withLock { state -> CheckedContinuation<Void, Never>?? in
                if let failedAt = state.failedAt { state.latencies.append(started - failedAt) }
                if state.latencies.count < self.restarts {
                    state.failedAt = ContinuousClock.now
                    return nil
                }
                state.finished = true
                defer { state.done = nil }
                return .some(state.done)
            }
            guard let done else { throw Flap() }
            done?.resume()
            while !Task.isCancelled { try await Task.sleep(for: .seconds(1)) }
        }
    }

    /// Waits until every restart was measured.
    func waitUntilDone() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = state.withLock { state -> Bool in
                if state.finished { return true }
                state.done = continuation
                return false
            }
            if finished { continuation.resume() }
        }
    }

    var latencies: [Duration] { state.withLock { $0.latencies } }
}

struct Flap: Error {}

struct RestartResult {
    var restarts: Int
    var elapsed: Duration
    var p50: Duration
    var p99: Duration
    var max: Duration
}

enum RestartLatency {
    /// Restarts one flapping child `count` times under a root supervisor and returns the
    /// distribution of failure-to-running latencies.
    static func measure(_ count: Int) async throws -> RestartResult {
        let probe = RestartProbe(restarts: count)
        // A short window keeps the intensity's sliding window small; the limit is never reached.
        let supervisor = Supervisor(
            path: .node, strategy: .oneForOne,
            intensity: RestartIntensity(maxRestarts: 1_000_000, within: .milliseconds(10)),
            registry: ActorRegistry(), children: [probe.spec]
        )
        let start = ContinuousClock.now
        let run = Task { try await supervisor.run() }
        await probe.waitUntilDone()
        let elapsed = ContinuousClock.now - start
        await supervisor.stop()
        try await run.value
        let sorted = probe.latencies.sorted()
        precondition(sorted.count == count, "missing restarts")
        func percentile(_ p: Double) -> Duration {
            sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        return RestartResult(restarts: count, elapsed: elapsed, p50: percentile(0.50), p99: percentile(0.99), max: sorted[sorted.count - 1])
    }
}
