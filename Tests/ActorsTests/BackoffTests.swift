import Actors
import Testing
import TestSupport

/// The pure delays of `Backoff`.
@Suite struct BackoffTests {
    @Test func noneNeverWaits() {
        for attempt in [0, 1, 2, 50] {
            #expect(Backoff.none.delay(forAttempt: attempt) == .zero)
        }
        #expect(Backoff.none.resets(afterRunningFor: .zero))
    }

    @Test func startsAtTheInitialDelayAndDoubles() {
        let backoff = Backoff.exponential(initial: .milliseconds(100), max: .seconds(10))
        let delays = (1...5).map { backoff.delay(forAttempt: $0) }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1_600)])
        #expect(backoff.delay(forAttempt: 0) == .zero)
    }

    @Test func honoursOtherFactors() {
        let backoff = Backoff.exponential(initial: .milliseconds(10), factor: 3, max: .seconds(1))
        #expect((1...4).map { backoff.delay(forAttempt: $0) } == [.milliseconds(10), .milliseconds(30), .milliseconds(90), .milliseconds(270)])
    }

    @Test func isCappedAtMax() {
        let backoff = Backoff.exponential(initial: .milliseconds(100), max: .milliseconds(500))
        #expect(backoff.delay(forAttempt: 3) == .milliseconds(400))
        #expect(backoff.delay(forAttempt: 4) == .milliseconds(500))
        #expect(backoff.delay(forAttempt: 5) == .milliseconds(500))
        #expect(backoff.delay(forAttempt: 1_000_000) == .milliseconds(500))
        #expect(Backoff.exponential(initial: .seconds(2), max: .seconds(1)).delay(forAttempt: 1) == .seconds(1))
    }

    @Test func resetsAfterARunLongerThanTheResetWindow() {
        let backoff = Backoff.exponential(initial: .milliseconds(100), factor: 2, max: .seconds(1), resetAfter: .seconds(3))
        #expect(!backoff.resets(afterRunningFor: .zero))
        #expect(!backoff.resets(afterRunningFor: .milliseconds(2_999)))
        #expect(backoff.resets(afterRunningFor: .seconds(3)))
        // The short form resets after ten times the cap.
        let usual = Backoff.exponential(initial: .milliseconds(100), max: .seconds(1))
        #expect(usual == .exponential(initial: .milliseconds(100), factor: 2, max: .seconds(1), resetAfter: .seconds(10)))
        #expect(!usual.resets(afterRunningFor: .milliseconds(9_999)))
        #expect(usual.resets(afterRunningFor: .seconds(10)))
    }
}

/// A live supervisor's backoff, on a `MockClock`: restarts wait for the clock.
@Suite(.supervisedChildren) struct SupervisorBackoffTests {
    let clock = MockClock()
    let puppets = Puppets()
    let registry = ActorRegistry()

    func supervisor(_ ids: [String], backoff: Backoff) -> Supervisor {
        Supervisor(
            path: .node, strategy: .oneForOne,
            intensity: RestartIntensity(maxRestarts: 100, within: .seconds(3_600)),
            backoff: backoff, registry: registry, clock: clock,
            children: ids.map { puppets.spec($0) }
        )
    }

    @Test func aFailedChildRestartsOnlyOnceTheClockPassesItsDelay() async throws {
        let backoff = Backoff.exponential(initial: .seconds(1), max: .seconds(4))
        let running = try await RunningSupervisor.start(supervisor(["a"], backoff: backoff))
        let sup = running.supervisor

        // Delays of consecutive quick failures: 1 s, 2 s, 4 s, then capped at 4 s.
        for (attempt, delay) in [Duration.seconds(1), .seconds(2), .seconds(4), .seconds(4)].enumerated() {
            try await puppets.fail("a")
            try await eventually("backoff timer") { clock.sleeperCount == 1 }
            #expect(await status(of: "a", in: sup) == .restarting)
            #expect(registry.status(of: path("/node/a")) == .restarting)
            clock.advance(by: delay - .milliseconds(1))
            // The timer has not fired, so nothing can have restarted the child.
            #expect(clock.sleeperCount == 1)
            #expect(await starts(of: "a", in: sup) == attempt + 1)
            #expect(await status(of: "a", in: sup) == .restarting)
            clock.advance(by: .milliseconds(1))
            try await eventually("restart \(attempt + 1)") { await starts(of: "a", in: sup) == attempt + 2 }
            #expect(registry.status(of: path("/node/a")) == .running)
        }
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func aChildThatRanLongEnoughStartsItsBackoffOver() async throws {
        let backoff = Backoff.exponential(initial: .seconds(1), factor: 2, max: .seconds(8), resetAfter: .seconds(30))
        let running = try await RunningSupervisor.start(supervisor(["a"], backoff: backoff))
        let sup = running.supervisor
        for (restart, delay) in [Duration.seconds(1), .seconds(2)].enumerated() {
            try await puppets.fail("a")
            try await eventually { clock.sleeperCount == 1 }
            clock.advance(by: delay)
            try await eventually { await starts(of: "a", in: sup) == restart + 2 }
        }
        // A healthy run of 30 s: the next failure waits the initial delay again.
        clock.advance(by: .seconds(30))
        try await puppets.fail("a")
        try await eventually { clock.sleeperCount == 1 }
        clock.advance(by: .seconds(1))
        try await eventually { await starts(of: "a", in: sup) == 4 }
        try await running.stop()
    }

    @Test func anotherChildsTimerDoesNotCutABackoffShort() async throws {
        let backoff = Backoff.exponential(initial: .seconds(1), max: .seconds(60))
        let running = try await RunningSupervisor.start(supervisor(["a", "b"], backoff: backoff))
        let sup = running.supervisor
        // b fails twice in a row: its second restart waits 2 s (until t = 3 s).
        try await puppets.fail("b")
        try await eventually { clock.sleeperCount == 1 }
        clock.advance(by: .seconds(1))
        try await eventually { await starts(of: "b", in: sup) == 2 }
        try await puppets.fail("b")
        // a fails once at t = 1 s: it waits 1 s (until t = 2 s).
        try await puppets.fail("a")
        try await eventually { clock.sleeperCount == 2 }
        clock.advance(by: .seconds(1))
        try await eventually { await starts(of: "a", in: sup) == 2 }
        #expect(await status(of: "b", in: sup) == .restarting)
        #expect(await starts(of: "b", in: sup) == 2)
        clock.advance(by: .seconds(1))
        try await eventually { await starts(of: "b", in: sup) == 3 }
        try await running.stop()
    }
}
