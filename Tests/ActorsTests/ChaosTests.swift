import Actors
import Synchronization
import Testing
import TestSupport

/// Failures injected at random (fixed seeds) into a three-level tree for a bounded time.
///
/// ```
/// /node (oneForOne)
/// ├── m0 (oneForOne) ── w0 ... w9     even workers fail by themselves,
/// ├── ...                              odd workers are killed by path
/// └── m4 (oneForOne) ── w0 ... w9
/// ```
///
/// Reads the process-wide `SupervisionStats`, so it runs alone among the suites that
/// start supervised children (`.exclusiveSupervisionStats`).
@Suite(.exclusiveSupervisionStats) struct ChaosTests {
    /// Shared state of the workers: whether chaos is on, the failure budget, counters.
    final class Chaos: Sendable {
        private let active = Atomic<Bool>(true)
        private let budget: Int
        private let claimed = Atomic<Int>(0)
        private let kills = Atomic<Int>(0)
        private let running = Atomic<Int>(0)

        init(budget: Int) { self.budget = budget }

        /// Failures the workers threw.
        var selfFailures: Int { min(claimed.load(ordering: .relaxed), budget) }
        /// Kills that the supervisors accepted.
        var killCount: Int { kills.load(ordering: .relaxed) }
        /// Worker run loops running now.
        var live: Int { running.load(ordering: .relaxed) }

        func stop() { active.store(false, ordering: .relaxed) }
        func killed() { kills.add(1, ordering: .relaxed) }

        /// Takes one failure from the budget, false once chaos is over or the budget spent.
        func claimFailure() -> Bool {
            guard active.load(ordering: .relaxed) else { return false }
            return claimed.add(1, ordering: .relaxed).newValue <= budget
        }

        /// A worker that sleeps random short spans and, if `failsAlone`, throws at random.
        func worker(id: String, seed: UInt64, failsAlone: Bool) -> ChildSpec {
            ChildSpec(id: id) { context in
                self.running.add(1, ordering: .relaxed)
                defer { self.running.subtract(1, ordering: .relaxed) }
                var random = SplitMix64(seed: seed &* 0x1_0000_0001 &+ UInt64(context.incarnation))
                while true {
                    try await Task.sleep(for: .milliseconds(5 + Int(random.next() % 120)))
                    if failsAlone, random.next() % 2 == 0, self.claimFailure() {
                        throw InjectedFailure(id: id)
                    }
                }
            }
        }
    }

    @Test func fiftyWorkersFailingAtRandomAllComeBackAndNothingLeaks() async throws {
        let chaos = Chaos(budget: 300)
        let registry = ActorRegistry()
        let generous = RestartIntensity(maxRestarts: 100_000, within: .seconds(60))
        let mids = (0..<5).map { m in
            Supervisor(
                path: path("/node/m\(m)"), strategy: .oneForOne, intensity: generous, registry: registry,
                children: (0..<10).map { w in
                    chaos.worker(id: "w\(w)", seed: UInt64(m * 10 + w), failsAlone: w % 2 == 0)
                }
            )
        }
        let root = Supervisor(path: .node, intensity: generous, registry: registry, children: mids.map { .supervisor($0) })
        let running = try await RunningSupervisor.start(root)
        let workers = (0..<5).flatMap { m in (0..<10).map { w in path("/node/m\(m)/w\(w)") } }
        try await eventually("all workers up") { workers.allSatisfy { registry.status(of: $0) == .running } }

        // Chaos: kill odd workers by path at random while even ones fail by themselves,
        // for at most 1.5 s and at most 150 kills.
        var random = SplitMix64(seed: 0xC0FF_EE)
        let deadline = ContinuousClock.now + .milliseconds(1_500)
        var round = 0
        while ContinuousClock.now < deadline && chaos.killCount < 150 {
            let victim = path("/node/m\(random.next() % 5)/w\(2 * (random.next() % 5) + 1)")
            do {
                try await registry.kill(victim)
                chaos.killed()
            } catch SupervisorError.notRunning {
                // Killed a moment ago and not restarted yet.
            }
            round += 1
            if round % 25 == 0 { _ = await registry.tree() }
            try await Task.sleep(for: .milliseconds(2 + Int(random.next() % 15)))
        }
        chaos.stop()
        let injected = chaos.selfFailures + chaos.killCount
        #expect(chaos.selfFailures > 0)
        #expect(chaos.killCount > 0)

        // Every failure was followed by exactly one restart, and every worker runs again.
        func restartSum() async -> Int {
            guard let tree = await registry.tree() else { return -1 }
            return tree.children.reduce(tree.restarts) { sum, mid in
                mid.children.reduce(sum + mid.restarts) { $0 + $1.restarts }
            }
        }
        try await eventually("restarts == \(injected)") { await restartSum() == injected }
        try await eventually("all workers running") { workers.allSatisfy { registry.status(of: $0) == .running } }
        #expect(chaos.live == 50)
        #expect(await root.whichChildren().allSatisfy { $0.status == .running })
        for mid in mids {
            #expect(await mid.whichChildren().allSatisfy { $0.status == .running })
            #expect(await mid.isRunning)
        }
        #expect(registry.restarts(of: path("/node/m0")) == 0)
        // (SupervisionStats is process-wide and other modules' suites run supervisors in
        // parallel, so the leak checks below count this test's own run loops.)
        #expect(!running.hasFinished)

        // Stopping the root stops everything: no run loop is left behind.
        try await running.stop()
        try await eventually("worker loops ended") { chaos.live == 0 }
        try await eventually("no leaked mid supervisors") {
            var anyRunning = false
            for mid in mids where await mid.isRunning { anyRunning = true }
            return !anyRunning
        }
        #expect(workers.allSatisfy { registry.status(of: $0) == .terminated })
    }
}
