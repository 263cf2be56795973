import Testing
@testable import Gateway

@Suite struct TimerWheelTests {
    @Test func firesAtTheDeadlineNotBefore() {
        var wheel = TimerWheel<Int>(now: 0, slotCount: 8)
        wheel.insert(1, at: 3)
        wheel.insert(2, at: 5)
        #expect(wheel.advance(to: 2).isEmpty)
        #expect(wheel.advance(to: 3) == [1])
        #expect(wheel.advance(to: 4).isEmpty)
        #expect(wheel.advance(to: 5) == [2])
        #expect(wheel.count == 0)
    }

    @Test func deadlinesBeyondOneTurnWaitForTheirTurn() {
        var wheel = TimerWheel<Int>(now: 0, slotCount: 4)
        wheel.insert(7, at: 10)
        #expect(wheel.advance(to: 2).isEmpty)
        #expect(wheel.advance(to: 6).isEmpty)
        #expect(wheel.count == 1)
        #expect(wheel.advance(to: 10) == [7])
    }

    @Test func bigJumpsFireEverythingDue() {
        var wheel = TimerWheel<Int>(now: 0, slotCount: 4)
        for key in 1...20 { wheel.insert(key, at: UInt64(key)) }
        let fired = wheel.advance(to: 100)
        #expect(Set(fired) == Set(1...20))
    }

    @Test func pastDeadlinesFireOnTheNextTick() {
        var wheel = TimerWheel<Int>(now: 10, slotCount: 8)
        wheel.insert(1, at: 3)
        #expect(wheel.advance(to: 11) == [1])
    }
}
