import Actors
import Testing
import TestSupport

/// Each strategy on a live supervisor: which siblings are stopped, in which order, and
/// which are started again.
///
/// Stops are logged in a fixed order because the supervisor waits for each child before
/// stopping the next. Starts run in parallel tasks, so their relative order in the log is
/// not fixed: the tests check that every start comes after every stop and which children
/// started; the start order itself is that of `RestartStrategy.plan` (RestartStrategyTests).
@Suite(.supervisedChildren) struct SupervisorStrategyTests {
    let puppets = Puppets()
    let registry = ActorRegistry()

    func start(_ strategy: RestartStrategy, _ specs: [ChildSpec]) async throws -> RunningSupervisor {
        let sup = Supervisor(
            path: .node, strategy: strategy,
            intensity: RestartIntensity(maxRestarts: 10, within: .seconds(60)),
            registry: registry, children: specs
        )
        let running = try await RunningSupervisor.start(sup)
        for spec in specs { try await eventually("\(spec.id) up") { puppets.isWaiting(spec.id) } }
        return running
    }

    /// Waits until each of `ids` has started `count` times and waits for orders.
    func waitForStarts(_ ids: [String], count: Int, in sup: Supervisor) async throws {
        for id in ids {
            try await eventually("\(id) started \(count)x") {
                puppets.log.occurrences(of: "start \(id)") == count && puppets.isWaiting(id)
            }
        }
        for id in ids { #expect(await starts(of: id, in: sup) == count) }
    }

    @Test func oneForOneRestartsOnlyTheFailedChild() async throws {
        let running = try await start(.oneForOne, ["a", "b", "c", "d"].map { puppets.spec($0) })
        let marker = puppets.log.count
        try await puppets.fail("c")
        try await waitForStarts(["c"], count: 2, in: running.supervisor)
        #expect(puppets.log.entries(since: marker) == ["fail c", "start c"])
        for id in ["a", "b", "d"] { #expect(await starts(of: id, in: running.supervisor) == 1) }
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func oneForAllStopsTheOthersInReverseOrderThenStartsAll() async throws {
        let running = try await start(.oneForAll, ["a", "b", "c", "d"].map { puppets.spec($0) })
        let marker = puppets.log.count
        try await puppets.fail("c")
        try await waitForStarts(["a", "b", "c", "d"], count: 2, in: running.supervisor)
        let after = puppets.log.entries(since: marker)
        #expect(Array(after.prefix(4)) == ["fail c", "stop d", "stop b", "stop a"])
        #expect(Set(after.dropFirst(4)) == ["start a", "start b", "start c", "start d"])
        #expect(after.count == 8)
        #expect(await running.supervisor.whichChildren().map(\.id) == ["a", "b", "c", "d"])
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func restForOneRestartsTheFailedChildAndLaterSiblings() async throws {
        let running = try await start(.restForOne, ["a", "b", "c", "d"].map { puppets.spec($0) })
        let marker = puppets.log.count
        try await puppets.fail("b")
        try await waitForStarts(["b", "c", "d"], count: 2, in: running.supervisor)
        let after = puppets.log.entries(since: marker)
        #expect(Array(after.prefix(3)) == ["fail b", "stop d", "stop c"])
        #expect(Set(after.dropFirst(3)) == ["start b", "start c", "start d"])
        #expect(after.count == 6)
        #expect(await starts(of: "a", in: running.supervisor) == 1)
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func restForOneOfTheLastChildRestartsItAlone() async throws {
        let running = try await start(.restForOne, ["a", "b", "c"].map { puppets.spec($0) })
        let marker = puppets.log.count
        try await puppets.fail("c")
        try await waitForStarts(["c"], count: 2, in: running.supervisor)
        #expect(puppets.log.entries(since: marker) == ["fail c", "start c"])
        try await running.stop()
    }

    @Test func oneForAllDropsATemporarySiblingInsteadOfRestartingIt() async throws {
        let specs = [puppets.spec("a"), puppets.spec("t", restart: .temporary), puppets.spec("c")]
        let running = try await start(.oneForAll, specs)
        let marker = puppets.log.count
        try await puppets.fail("a")
        try await waitForStarts(["a", "c"], count: 2, in: running.supervisor)
        let after = puppets.log.entries(since: marker)
        #expect(Array(after.prefix(3)) == ["fail a", "stop c", "stop t"])
        #expect(Set(after.dropFirst(3)) == ["start a", "start c"])
        #expect(await running.supervisor.whichChildren().map(\.id) == ["a", "c"])
        #expect(registry.status(of: path("/node/t")) == nil)
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func oneForAllKeepsATransientSiblingThatHadFinished() async throws {
        let specs = [puppets.spec("a"), puppets.spec("done", restart: .transient), puppets.spec("c")]
        let running = try await start(.oneForAll, specs)
        try await puppets.exit("done")
        try await eventually { await status(of: "done", in: running.supervisor) == .terminated }
        try await puppets.fail("c")
        try await waitForStarts(["a", "c"], count: 2, in: running.supervisor)
        // The finished transient child is neither stopped again nor started.
        #expect(puppets.log.occurrences(of: "start done") == 1)
        #expect(await status(of: "done", in: running.supervisor) == .terminated)
        try await running.stop()
    }
}
