import Actors
import Testing
import TestSupport

/// Restart intensity exceeded in a three-level tree: root -> mid supervisor -> workers.
///
/// ```
/// /node (oneForOne, 1 restart)
/// ├── first
/// ├── mid (oneForOne, 2 restarts) ── w1, w2, w3
/// └── last
/// ```
@Suite(.supervisedChildren) struct EscalationTests {
    let puppets = Puppets()
    let registry = ActorRegistry()
    let clock = MockClock()

    func tree() -> (root: Supervisor, mid: Supervisor) {
        let mid = Supervisor(
            path: path("/node/mid"), strategy: .oneForOne,
            intensity: RestartIntensity(maxRestarts: 2, within: .seconds(60)),
            registry: registry, clock: clock,
            children: ["w1", "w2", "w3"].map { puppets.spec($0) }
        )
        let root = Supervisor(
            path: .node, strategy: .oneForOne,
            intensity: RestartIntensity(maxRestarts: 1, within: .seconds(60)),
            registry: registry, clock: clock,
            children: [puppets.spec("first"), .supervisor(mid), puppets.spec("last")]
        )
        return (root, mid)
    }

    func waitUntilUp(_ ids: [String]) async throws {
        for id in ids { try await eventually("\(id) up") { puppets.isWaiting(id) } }
    }

    /// Fails w1 until `mid` gives up (three failures against an intensity of two).
    func exhaustMid() async throws {
        for _ in 1...3 { try await puppets.fail("w1") }
    }

    @Test func midGivesUpAndRootRestartsIt() async throws {
        let (root, mid) = tree()
        let running = try await RunningSupervisor.start(root)
        try await waitUntilUp(["first", "w1", "w2", "w3", "last"])
        let marker = puppets.log.count
        try await exhaustMid()
        // mid stops its remaining children in reverse start order, then root restarts mid,
        // which starts its workers anew.
        try await eventually("mid restarted") { registry.restarts(of: path("/node/mid")) == 1 }
        try await waitUntilUp(["w1", "w2", "w3"])
        let after = puppets.log.entries(since: marker)
        let giveUp = ["fail w1", "stop w3", "stop w2"]
        #expect(Array(after.suffix(from: after.count - 6).prefix(3)) == giveUp)
        #expect(Set(after.suffix(3)) == ["start w1", "start w2", "start w3"])
        #expect(await mid.isRunning)
        #expect(await root.isRunning)
        #expect(await starts(of: "mid", in: root) == 2)
        #expect(await starts(of: "first", in: root) == 1)
        #expect(await starts(of: "last", in: root) == 1)
        let snapshot = await registry.snapshot(path("/node/mid"))
        #expect(snapshot?.lastFailure?.reason.contains("reached max restart intensity") == true)
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func rootGivesUpWhenMidKeepsGivingUp() async throws {
        let (root, mid) = tree()
        let running = try await RunningSupervisor.start(root)
        try await waitUntilUp(["first", "w1", "w2", "w3", "last"])
        try await exhaustMid()
        try await eventually("mid restarted") { registry.restarts(of: path("/node/mid")) == 1 }
        try await waitUntilUp(["w1", "w2", "w3"])
        let marker = puppets.log.count
        try await exhaustMid()

        let error = try await running.error()
        guard case .reachedMaxRestartIntensity(let rootPath, let lastFailure)? = error as? SupervisorError else {
            Issue.record("root ended with \(String(describing: error))")
            return
        }
        #expect(rootPath == "/node")
        #expect(lastFailure.hasPrefix("/node/mid: failure: /node/mid reached max restart intensity"))
        // mid stops w3, w2 and gives up; root stops its children in reverse start order
        // (mid has exited already).
        let after = puppets.log.entries(since: marker)
        #expect(Array(after.suffix(5)) == ["fail w1", "stop w3", "stop w2", "stop last", "stop first"])
        #expect(await !mid.isRunning)
        #expect(await !root.isRunning)
        for id in ["first", "mid", "mid/w1", "mid/w2", "mid/w3", "last"] {
            #expect(registry.status(of: path("/node/\(id)")) == .terminated, "\(id)")
        }
        #expect(puppets.live == 0)
    }

    @Test func aGivenUpSupervisorRefusesCommands() async throws {
        let (root, _) = tree()
        let running = try await RunningSupervisor.start(root)
        try await waitUntilUp(["first", "w1", "w2", "w3", "last"])
        try await exhaustMid()
        try await eventually { registry.restarts(of: path("/node/mid")) == 1 }
        try await waitUntilUp(["w1", "w2", "w3"])
        try await exhaustMid()
        _ = try await running.error()
        await #expect(throws: SupervisorError.notRunning("/node")) {
            try await root.startChild(puppets.spec("late"))
        }
    }
}
