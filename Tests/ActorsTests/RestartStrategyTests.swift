import Actors
import Testing

/// The pure restart plans of each strategy and the restart policies' decisions.
@Suite struct RestartStrategyTests {
    @Test func oneForOneRestartsOnlyTheFailedChild() {
        #expect(RestartStrategy.oneForOne.plan(failed: 2, count: 4) == RestartPlan(toStop: [], toStart: [2]))
        #expect(RestartStrategy.oneForOne.plan(failed: 0, count: 1) == RestartPlan(toStop: [], toStart: [0]))
    }

    @Test func oneForAllStopsTheOthersInReverseAndStartsAllInOrder() {
        #expect(RestartStrategy.oneForAll.plan(failed: 2, count: 4) == RestartPlan(toStop: [3, 1, 0], toStart: [0, 1, 2, 3]))
        #expect(RestartStrategy.oneForAll.plan(failed: 0, count: 3) == RestartPlan(toStop: [2, 1], toStart: [0, 1, 2]))
        #expect(RestartStrategy.oneForAll.plan(failed: 0, count: 1) == RestartPlan(toStop: [], toStart: [0]))
    }

    @Test func restForOneRestartsTheFailedChildAndThoseStartedAfterIt() {
        #expect(RestartStrategy.restForOne.plan(failed: 1, count: 4) == RestartPlan(toStop: [3, 2], toStart: [1, 2, 3]))
        #expect(RestartStrategy.restForOne.plan(failed: 3, count: 4) == RestartPlan(toStop: [], toStart: [3]))
        #expect(RestartStrategy.restForOne.plan(failed: 0, count: 3) == RestartPlan(toStop: [2, 1], toStart: [0, 1, 2]))
    }

    @Test(arguments: [RestartStrategy.oneForOne, .oneForAll, .restForOne])
    func aFailureOutsideTheChildrenPlansNothing(strategy: RestartStrategy) {
        let empty = RestartPlan(toStop: [], toStart: [])
        #expect(strategy.plan(failed: 4, count: 4) == empty)
        #expect(strategy.plan(failed: -1, count: 4) == empty)
        #expect(strategy.plan(failed: 0, count: 0) == empty)
    }

    @Test func restartPoliciesFollowOTP() {
        let reasons: [ExitReason] = [.normal, .shutdown, .failure("boom"), .killed]
        #expect(reasons.map { RestartPolicy.permanent.shouldRestart(after: $0) } == [true, false, true, true])
        #expect(reasons.map { RestartPolicy.transient.shouldRestart(after: $0) } == [false, false, true, true])
        #expect(reasons.map { RestartPolicy.temporary.shouldRestart(after: $0) } == [false, false, false, false])
    }

    @Test func onlyFailuresAndKillsAreAbnormal() {
        #expect(!ExitReason.normal.isAbnormal)
        #expect(!ExitReason.shutdown.isAbnormal)
        #expect(ExitReason.failure("x").isAbnormal)
        #expect(ExitReason.killed.isAbnormal)
    }
}
