import Actors
import Testing
import TestSupport

/// Children started, stopped, restarted and deleted on demand, and operator kills by path.
@Suite(.supervisedChildren) struct DynamicChildrenTests {
    let puppets = Puppets()
    let registry = ActorRegistry()
    let clock = MockClock()

    func start(
        _ specs: [ChildSpec] = [],
        intensity: RestartIntensity = RestartIntensity(maxRestarts: 10, within: .seconds(60))
    ) async throws -> RunningSupervisor {
        let sup = Supervisor(path: .node, intensity: intensity, registry: registry, clock: clock, children: specs)
        let running = try await RunningSupervisor.start(sup)
        for spec in specs where spec.kind == .worker {
            try await eventually("\(spec.id) up") { puppets.isWaiting(spec.id) }
        }
        return running
    }

    @Test func startChildAddsAndRunsChildrenAfterTheStaticOnes() async throws {
        let running = try await start([puppets.spec("static")])
        let sup = running.supervisor
        try await sup.startChild(puppets.spec("room-1", restart: .temporary))
        try await sup.startChild(puppets.spec("room-2", restart: .transient))
        try await eventually { puppets.isWaiting("room-1") && puppets.isWaiting("room-2") }
        let children = await sup.whichChildren()
        #expect(children.map(\.id) == ["static", "room-1", "room-2"])
        #expect(children.map(\.status) == [.running, .running, .running])
        #expect(children.map(\.restart) == [.permanent, .temporary, .transient])
        #expect(children[1].path == path("/node/room-1"))
        #expect(await counts(sup) == [3, 3, 0, 3])
        #expect(registry.status(of: path("/node/room-2")) == .running)
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func startChildRefusesADuplicateId() async throws {
        let running = try await start([puppets.spec("a")])
        await #expect(throws: SupervisorError.alreadyPresent("a")) {
            try await running.supervisor.startChild(puppets.spec("a"))
        }
        #expect(puppets.log.occurrences(of: "start a") == 1)
        try await running.stop()
    }

    @Test func terminateRestartAndDeleteFollowOTP() async throws {
        let running = try await start([puppets.spec("a"), puppets.spec("b")])
        let sup = running.supervisor
        // A running child can be neither restarted nor deleted.
        await #expect(throws: SupervisorError.running("a")) { try await sup.restartChild("a") }
        await #expect(throws: SupervisorError.running("a")) { try await sup.deleteChild("a") }

        try await sup.terminateChild("a")
        #expect(await status(of: "a", in: sup) == .terminated)
        #expect(await counts(sup) == [2, 1, 0, 2])
        // Terminating a terminated child is fine, as in OTP.
        try await sup.terminateChild("a")

        try await sup.restartChild("a")
        try await eventually { puppets.isWaiting("a") }
        #expect(await starts(of: "a", in: sup) == 2)
        #expect(await status(of: "a", in: sup) == .running)

        try await sup.terminateChild("a")
        try await sup.deleteChild("a")
        #expect(await sup.whichChildren().map(\.id) == ["b"])
        #expect(registry.status(of: path("/node/a")) == nil)
        // The id is free again.
        try await sup.startChild(puppets.spec("a"))
        try await eventually { puppets.isWaiting("a") }
        #expect(await sup.whichChildren().map(\.id) == ["b", "a"])
        #expect(await starts(of: "a", in: sup) == 1)
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func unknownChildrenAreReported() async throws {
        let running = try await start()
        let sup = running.supervisor
        await #expect(throws: SupervisorError.noSuchChild("x")) { try await sup.terminateChild("x") }
        await #expect(throws: SupervisorError.noSuchChild("x")) { try await sup.restartChild("x") }
        await #expect(throws: SupervisorError.noSuchChild("x")) { try await sup.deleteChild("x") }
        await #expect(throws: SupervisorError.noSuchChild("x")) { try await sup.killChild("x") }
        await #expect(throws: SupervisorError.noSuchChild("/node/x")) { try await registry.kill(path("/node/x")) }
        await #expect(throws: SupervisorError.noSuchChild("/node/x")) { try await registry.restart(path("/node/x")) }
        try await running.stop()
    }

    @Test func aStoppedSupervisorRefusesCommands() async throws {
        let running = try await start([puppets.spec("a")])
        let sup = running.supervisor
        try await running.stop()
        #expect(await !sup.isRunning)
        await #expect(throws: SupervisorError.notRunning("/node")) { try await sup.startChild(puppets.spec("b")) }
        await #expect(throws: SupervisorError.notRunning("/node")) { try await sup.terminateChild("a") }
        await #expect(throws: SupervisorError.notRunning("/node")) { try await sup.restartChild("a") }
        await #expect(throws: SupervisorError.notRunning("/node")) { try await sup.deleteChild("a") }
        await #expect(throws: SupervisorError.notRunning("/node")) { try await sup.killChild("a") }
    }

    @Test func killChildIsAFailure() async throws {
        let running = try await start([puppets.spec("a"), puppets.spec("b")])
        let sup = running.supervisor
        try await sup.killChild("a")
        try await eventually { await starts(of: "a", in: sup) == 2 && puppets.isWaiting("a") }
        #expect(await starts(of: "b", in: sup) == 1)
        let snapshot = await registry.snapshot(path("/node/a"))
        #expect(snapshot?.restarts == 1)
        #expect(snapshot?.lastFailure?.reason == "killed")
        #expect(snapshot?.status == .running)
        // A terminated child cannot be killed.
        try await sup.terminateChild("b")
        await #expect(throws: SupervisorError.notRunning("/node/b")) { try await sup.killChild("b") }
        try await running.stop()
        try await eventually { puppets.live == 0 }
    }

    @Test func killByPathChargesTheRestartIntensity() async throws {
        let running = try await start([puppets.spec("a")], intensity: RestartIntensity(maxRestarts: 0, within: .seconds(60)))
        try await registry.kill(path("/node/a"))
        let error = try await running.error()
        #expect(error as? SupervisorError == .reachedMaxRestartIntensity(path: "/node", lastFailure: "/node/a: killed"))
        try await eventually { puppets.live == 0 }
    }

    @Test func restartByPathStopsAndStartsWithoutChargingIntensity() async throws {
        let running = try await start([puppets.spec("a"), puppets.spec("b")], intensity: RestartIntensity(maxRestarts: 0, within: .seconds(60)))
        let sup = running.supervisor
        let marker = puppets.log.count
        try await registry.restart(path("/node/a"))
        try await eventually { puppets.isWaiting("a") }
        #expect(puppets.log.entries(since: marker) == ["stop a", "start a"])
        #expect(await starts(of: "a", in: sup) == 2)
        let snapshot = await registry.snapshot(path("/node/a"))
        #expect(snapshot?.status == .running)
        #expect(snapshot?.lastFailure == nil)
        #expect(await sup.isRunning)
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func killingANestedSupervisorRestartsItWithItsChildren() async throws {
        let mid = Supervisor(
            path: path("/node/mid"), registry: registry, clock: clock,
            children: ["w1", "w2"].map { puppets.spec($0) }
        )
        let running = try await start([puppets.spec("a"), .supervisor(mid)])
        try await eventually { puppets.isWaiting("w1") && puppets.isWaiting("w2") }
        try await registry.kill(path("/node/mid"))
        try await eventually("mid restarted") {
            puppets.log.occurrences(of: "start w1") == 2 && puppets.isWaiting("w1") && puppets.isWaiting("w2")
        }
        #expect(await running.supervisor.isRunning)
        #expect(await mid.isRunning)
        #expect(registry.restarts(of: path("/node/mid")) == 1)
        #expect(await starts(of: "mid", in: running.supervisor) == 2)
        // The killed mid's workers were stopped, not left running beside the new ones.
        #expect(puppets.live == 3)
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func killByPathReachesNestedWorkers() async throws {
        let mid = Supervisor(path: path("/node/mid"), registry: registry, clock: clock, children: [puppets.spec("w")])
        let running = try await start([.supervisor(mid)])
        try await eventually { puppets.isWaiting("w") }
        try await registry.kill(path("/node/mid/w"))
        try await eventually { await starts(of: "w", in: mid) == 2 && puppets.isWaiting("w") }
        #expect(registry.restarts(of: path("/node/mid/w")) == 1)
        #expect(registry.restarts(of: path("/node/mid")) == 0)
        try await running.stop()
        #expect(puppets.live == 0)
    }
}
