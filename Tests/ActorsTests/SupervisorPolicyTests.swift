import Actors
import Testing
import TestSupport

/// Restart policies (permanent, transient, temporary) on a live supervisor, and restart
/// intensity counted on the supervisor's clock.
@Suite(.supervisedChildren) struct SupervisorPolicyTests {
    let puppets = Puppets()
    let registry = ActorRegistry()
    let clock = MockClock()

    func start(_ specs: [ChildSpec], intensity: RestartIntensity = RestartIntensity(maxRestarts: 10, within: .seconds(60))) async throws -> RunningSupervisor {
        let sup = Supervisor(path: .node, intensity: intensity, registry: registry, clock: clock, children: specs)
        let running = try await RunningSupervisor.start(sup)
        for spec in specs { try await eventually("\(spec.id) up") { puppets.isWaiting(spec.id) } }
        return running
    }

    // MARK: Permanent

    @Test func permanentChildIsRestartedAfterANormalExitAndAFailure() async throws {
        let running = try await start([puppets.spec("p")])
        try await puppets.exit("p")
        try await eventually { await starts(of: "p", in: running.supervisor) == 2 }
        try await puppets.fail("p")
        try await eventually { await starts(of: "p", in: running.supervisor) == 3 }
        try await eventually { puppets.isWaiting("p") }
        #expect(registry.restarts(of: path("/node/p")) == 2)
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func permanentChildIsNotRestartedAfterShutdown() async throws {
        let running = try await start([puppets.spec("p")])
        try await running.supervisor.terminateChild("p")
        #expect(puppets.log.entries.last == "stop p")
        #expect(await status(of: "p", in: running.supervisor) == .terminated)
        #expect(await starts(of: "p", in: running.supervisor) == 1)
        #expect(registry.status(of: path("/node/p")) == .terminated)
        try await running.stop()
    }

    // MARK: Transient

    @Test func transientChildIsNotRestartedAfterANormalExit() async throws {
        let running = try await start([puppets.spec("t", restart: .transient), puppets.spec("other")])
        try await puppets.exit("t")
        try await eventually { await status(of: "t", in: running.supervisor) == .terminated }
        // Its spec is kept, it was started once, and the registry says so.
        #expect(await running.supervisor.whichChildren().map(\.id) == ["t", "other"])
        #expect(await starts(of: "t", in: running.supervisor) == 1)
        #expect(registry.status(of: path("/node/t")) == .terminated)
        let snapshot = await registry.snapshot(path("/node/t"))
        #expect(snapshot != nil && snapshot?.lastFailure == nil)
        try await running.stop()
    }

    @Test func transientChildIsRestartedAfterAFailureAndAKill() async throws {
        let running = try await start([puppets.spec("t", restart: .transient)])
        try await puppets.fail("t")
        try await eventually { await starts(of: "t", in: running.supervisor) == 2 }
        try await eventually { puppets.isWaiting("t") }
        try await running.supervisor.killChild("t")
        try await eventually { await starts(of: "t", in: running.supervisor) == 3 }
        #expect(await registry.snapshot(path("/node/t"))?.lastFailure?.reason == "killed")
        try await running.stop()
        try await eventually { puppets.live == 0 }
    }

    @Test func transientChildIsNotRestartedAfterShutdown() async throws {
        let running = try await start([puppets.spec("t", restart: .transient)])
        try await running.supervisor.terminateChild("t")
        #expect(await status(of: "t", in: running.supervisor) == .terminated)
        #expect(await starts(of: "t", in: running.supervisor) == 1)
        try await running.stop()
    }

    // MARK: Temporary

    @Test(arguments: [Puppets.Order.fail, .exit])
    func temporaryChildIsNeverRestartedAndIsRemoved(order: Puppets.Order) async throws {
        let running = try await start([puppets.spec("tmp", restart: .temporary), puppets.spec("other")])
        if order == .fail { try await puppets.fail("tmp") } else { try await puppets.exit("tmp") }
        try await eventually { await running.supervisor.whichChildren().map(\.id) == ["other"] }
        #expect(registry.status(of: path("/node/tmp")) == nil)
        #expect(registry.paths() == [path("/node"), path("/node/other")])
        #expect(puppets.log.occurrences(of: "start tmp") == 1)
        try await running.stop()
    }

    @Test func temporaryChildIsRemovedWhenTerminated() async throws {
        let running = try await start([puppets.spec("tmp", restart: .temporary)])
        try await running.supervisor.terminateChild("tmp")
        #expect(await running.supervisor.whichChildren().isEmpty)
        #expect(registry.status(of: path("/node/tmp")) == nil)
        try await running.stop()
    }

    // MARK: Intensity

    @Test func supervisorAllowsMaxRestartsAndGivesUpOnTheNext() async throws {
        let running = try await start(
            [puppets.spec("a"), puppets.spec("b")],
            intensity: RestartIntensity(maxRestarts: 3, within: .seconds(5))
        )
        for restart in 1...3 {
            try await puppets.fail("a")
            try await eventually { await starts(of: "a", in: running.supervisor) == restart + 1 }
        }
        #expect(!running.hasFinished)
        try await puppets.fail("a")
        let error = try await running.error()
        #expect(error as? SupervisorError == .reachedMaxRestartIntensity(path: "/node", lastFailure: "/node/a: failure: injected failure of a"))
        // Giving up stops the other children too.
        #expect(puppets.log.entries.last == "stop b")
        #expect(registry.status(of: path("/node/a")) == .terminated)
        #expect(registry.status(of: path("/node/b")) == .terminated)
        try await eventually { puppets.live == 0 }
    }

    @Test func restartsOlderThanThePeriodDoNotCount() async throws {
        let running = try await start([puppets.spec("a")], intensity: RestartIntensity(maxRestarts: 2, within: .seconds(5)))
        for restart in 1...6 {
            try await puppets.fail("a")
            try await eventually { await starts(of: "a", in: running.supervisor) == restart + 1 }
            clock.advance(by: .milliseconds(2_500))
        }
        #expect(!running.hasFinished)
        #expect(await running.supervisor.isRunning)
        try await running.stop()
    }
}
