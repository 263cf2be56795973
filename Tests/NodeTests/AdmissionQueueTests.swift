import Rooms
import Testing
@testable import NodeKit

/// The admission decisions for WebSocket upgrades, with scripted time and counts.
@Suite struct AdmissionQueueTests {
    typealias Queue = AdmissionQueue<Int>

    func queue(capacity: Int = 2, waitMs: Int64 = 5000, rate: Int = 2) -> Queue {
        Queue(configuration: .init(capacity: capacity, maxWaitMs: waitMs, ratePerSecond: rate))
    }

    @Test func belowTheLimitAndBelowCriticalEveryoneEntersAtOnce() {
        var admission = queue()
        for level in [LoadLevel.normal, .elevated, .high] {
            #expect(admission.arrive(1, open: 5, maxOpen: 10, level: level, nowMs: 0) == .admit)
        }
        #expect(admission.count == 0)
    }

    @Test func atTheConnectionLimitUpgradesWaitThenAreRefused() {
        var admission = queue(capacity: 2)
        #expect(admission.arrive(1, open: 10, maxOpen: 10, level: .normal, nowMs: 0) == .wait)
        #expect(admission.arrive(2, open: 10, maxOpen: 10, level: .normal, nowMs: 100) == .wait)
        #expect(admission.arrive(3, open: 10, maxOpen: 10, level: .normal, nowMs: 200) == .refuse)
        // A connection closed: the first waiter enters, in order.
        let freed = admission.poll(open: 9, maxOpen: 10, level: .normal, nowMs: 300)
        #expect(freed.admit == [1] && freed.expired.isEmpty)
        // Nobody else leaves: the second waiter's wait runs out.
        let late = admission.poll(open: 10, maxOpen: 10, level: .normal, nowMs: 5100)
        #expect(late.admit.isEmpty && late.expired == [2])
        #expect(admission.count == 0)
    }

    @Test func aNewcomerDoesNotOvertakeWaiters() {
        var admission = queue(capacity: 4)
        #expect(admission.arrive(1, open: 10, maxOpen: 10, level: .normal, nowMs: 0) == .wait)
        // Room again, but someone waits: the newcomer queues behind.
        #expect(admission.arrive(2, open: 9, maxOpen: 10, level: .normal, nowMs: 10) == .wait)
        let polled = admission.poll(open: 8, maxOpen: 10, level: .normal, nowMs: 20)
        #expect(polled.admit == [1, 2])
    }

    @Test func atCriticalAdmissionsArePacedByTheRate() {
        var admission = queue(capacity: 10, rate: 2)
        // A burst of one second's worth (2) enters, the rest waits.
        #expect(admission.arrive(1, open: 0, maxOpen: 100, level: .critical, nowMs: 0) == .admit)
        #expect(admission.arrive(2, open: 1, maxOpen: 100, level: .critical, nowMs: 0) == .admit)
        #expect(admission.arrive(3, open: 2, maxOpen: 100, level: .critical, nowMs: 0) == .wait)
        #expect(admission.arrive(4, open: 2, maxOpen: 100, level: .critical, nowMs: 0) == .wait)
        #expect(admission.poll(open: 2, maxOpen: 100, level: .critical, nowMs: 100).admit.isEmpty)
        #expect(admission.poll(open: 2, maxOpen: 100, level: .critical, nowMs: 500).admit == [3])
        // The level drops: the rest enters at once.
        #expect(admission.poll(open: 3, maxOpen: 100, level: .high, nowMs: 600).admit == [4])
    }

    @Test func drainingTakesEveryWaiter() {
        var admission = queue(capacity: 3)
        _ = admission.arrive(1, open: 1, maxOpen: 1, level: .normal, nowMs: 0)
        _ = admission.arrive(2, open: 1, maxOpen: 1, level: .normal, nowMs: 0)
        #expect(admission.removeAll() == [1, 2])
        #expect(admission.count == 0)
    }

    @Test func aQueueOfZeroRefusesAtOnce() {
        var admission = queue(capacity: 0)
        #expect(admission.arrive(1, open: 1, maxOpen: 1, level: .normal, nowMs: 0) == .refuse)
    }
}
