import Actors
import Testing
import TestSupport

/// Stopping children: reverse start order, shutdown budgets, detaching a child that
/// ignores cancellation, brutal kill, and supervisors waited for as long as they need.
@Suite(.supervisedChildren) struct ShutdownTests {
    let puppets = Puppets()
    let registry = ActorRegistry()
    let clock = MockClock()

    func start(_ specs: [ChildSpec], strategy: RestartStrategy = .oneForOne) async throws -> RunningSupervisor {
        let sup = Supervisor(
            path: .node, strategy: strategy,
            intensity: RestartIntensity(maxRestarts: 10, within: .seconds(60)),
            registry: registry, clock: clock, children: specs
        )
        let running = try await RunningSupervisor.start(sup)
        for spec in specs where spec.kind == .worker {
            try await eventually("\(spec.id) up") { puppets.isWaiting(spec.id) }
        }
        return running
    }

    @Test func stopStopsChildrenInReverseStartOrder() async throws {
        let running = try await start(["a", "b", "c"].map { puppets.spec($0) })
        try await running.supervisor.startChild(puppets.spec("dynamic"))
        try await eventually { puppets.isWaiting("dynamic") }
        let marker = puppets.log.count
        let outcome = try await running.stop()
        #expect((try? outcome.get()) != nil)
        #expect(puppets.log.entries(since: marker) == ["stop dynamic", "stop c", "stop b", "stop a"])
        for id in ["a", "b", "c"] {
            #expect(registry.status(of: path("/node/\(id)")) == .terminated)
        }
        // A child started on demand ends with the run that started it.
        #expect(registry.status(of: path("/node/dynamic")) == nil)
        #expect(await running.supervisor.whichChildren().map(\.id) == ["a", "b", "c"])
        #expect(puppets.live == 0)
    }

    @Test func cancellingRunStopsChildrenToo() async throws {
        let sup = Supervisor(path: .node, registry: registry, children: ["a", "b"].map { puppets.spec($0) })
        let task = Task { try await sup.run() }
        try await eventually { puppets.isWaiting("a") && puppets.isWaiting("b") }
        let marker = puppets.log.count
        task.cancel()
        try await task.value
        #expect(puppets.log.entries(since: marker) == ["stop b", "stop a"])
        #expect(await !sup.isRunning)
    }

    @Test func aChildThatStopsInTimeIsNotDetached() async throws {
        let running = try await start([puppets.spec("quick", shutdown: .timeout(.seconds(5)))])
        // The mock clock never moves: the child stops on cancellation, well within its budget.
        try await running.supervisor.terminateChild("quick")
        #expect(registry.status(of: path("/node/quick")) == .terminated)
        #expect(puppets.live == 0)
        try await running.stop()
    }

    @Test func aChildPastItsBudgetIsDetachedAndTheSupervisorGoesOn() async throws {
        let stuck = Gate()
        let running = try await start([
            puppets.spec("other"),
            puppets.spec("stubborn", shutdown: .timeout(.seconds(2)), stuck: stuck),
        ])
        let sup = running.supervisor
        let detachedBefore = SupervisionStats.detachedChildren
        let terminate = Task { try await sup.terminateChild("stubborn") }
        // The supervisor waits for the child on its clock: it is detached only once the
        // clock passes the budget.
        try await eventually("waiting on the budget") { clock.sleeperCount == 1 }
        clock.advance(by: .milliseconds(1_999))
        #expect(clock.sleeperCount == 1)
        #expect(registry.status(of: path("/node/stubborn")) == .running)
        clock.advance(by: .milliseconds(1))
        try await terminate.value
        #expect(registry.status(of: path("/node/stubborn")) == .detached)
        #expect(SupervisionStats.detachedChildren >= detachedBefore + 1)
        #expect(await status(of: "stubborn", in: sup) == .terminated)
        // Its task still runs...
        #expect(puppets.live == 2)
        // ...while the supervisor goes on: it restarts the detached child and handles failures.
        try await sup.restartChild("stubborn")
        try await eventually { await starts(of: "stubborn", in: sup) == 2 }
        try await puppets.fail("other")
        try await eventually { await starts(of: "other", in: sup) == 2 }
        #expect(await counts(sup) == [2, 2, 0, 2])
        stuck.open()
        try await eventually { puppets.live == 2 }
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func stopDetachesAStuckChildAndReturns() async throws {
        let stuck = Gate()
        let running = try await start([
            puppets.spec("a"),
            puppets.spec("stubborn", shutdown: .timeout(.milliseconds(500)), stuck: stuck),
            puppets.spec("c"),
        ])
        await running.supervisor.stop()
        try await eventually("waiting on the budget") { clock.sleeperCount == 1 }
        #expect(!running.hasFinished)
        clock.advance(by: .milliseconds(500))
        _ = try await running.finished()
        #expect(registry.status(of: path("/node/stubborn")) == .detached)
        #expect(registry.status(of: path("/node/a")) == .terminated)
        #expect(puppets.log.entries.suffix(2) == ["stop c", "stop a"])
        #expect(puppets.live == 1)
        stuck.open()
        try await eventually { puppets.live == 0 }
        #expect(puppets.log.entries.last == "stop stubborn")
    }

    @Test func aRestartDetachesAStuckSiblingAndStartsItAgain() async throws {
        let stuck = Gate()
        let running = try await start([
            puppets.spec("stubborn", shutdown: .timeout(.seconds(1)), stuck: stuck),
            puppets.spec("b"),
        ], strategy: .oneForAll)
        try await puppets.fail("b")
        try await eventually("waiting on the budget") { clock.sleeperCount == 1 }
        clock.advance(by: .seconds(1))
        try await eventually { await starts(of: "stubborn", in: running.supervisor) == 2 && puppets.isWaiting("stubborn") }
        try await eventually { await starts(of: "b", in: running.supervisor) == 2 && puppets.isWaiting("b") }
        // The detached incarnation and the new one both run.
        #expect(puppets.live == 3)
        stuck.open()
        try await eventually { puppets.live == 2 }
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func brutalKillDoesNotWait() async throws {
        let stuck = Gate()
        let running = try await start([puppets.spec("victim", shutdown: .brutalKill, stuck: stuck)])
        // The child ignores cancellation until the gate opens, yet stop returns.
        try await running.stop()
        #expect(puppets.live == 1)
        #expect(registry.status(of: path("/node/victim")) == .terminated)
        #expect(clock.sleeperCount == 0)
        stuck.open()
        try await eventually { puppets.live == 0 }
    }

    @Test func aSupervisorChildIsWaitedForAsLongAsItTakes() async throws {
        let stuck = Gate()
        let innerClock = MockClock()
        let mid = Supervisor(
            path: path("/node/mid"), registry: registry, clock: innerClock,
            children: [puppets.spec("slow", shutdown: .timeout(.seconds(30)), stuck: stuck)]
        )
        #expect(ChildSpec.supervisor(mid).shutdown == .infinity)
        #expect(ChildSpec.supervisor(mid).kind == .supervisor)
        let running = try await start([puppets.spec("a"), .supervisor(mid)])
        try await eventually { puppets.isWaiting("slow") }
        let log = puppets.log
        let stopping = Task {
            _ = try await running.stop()
            log.record("root stopped")
        }
        // mid waits for its stuck worker; root waits for mid, however long that takes.
        try await eventually("mid waiting on its worker") { innerClock.sleeperCount == 1 }
        #expect(clock.sleeperCount == 0)
        #expect(!running.hasFinished)
        stuck.open()
        try await stopping.value
        #expect(puppets.log.entries.suffix(3) == ["stop slow", "stop a", "root stopped"])
        #expect(registry.status(of: path("/node/mid")) == .terminated)
        #expect(registry.status(of: path("/node/mid/slow")) == .terminated)
        #expect(puppets.live == 0)
    }
}
