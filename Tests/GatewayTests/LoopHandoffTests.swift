@preconcurrency import Glibc
import Foundation
import Testing
import TestSupport
@testable import Gateway

/// The pieces of the multi-loop gateway that need no sockets: ids that carry their loop,
/// and the mailbox that hands batches between loops.
@Suite struct LoopHandoffTests {
    @Test func connectionIDsCarryTheirLoopInEightBytes() {
        let id = ConnectionID(slot: 1234, generation: 0xDEAD_BEEF, loop: 3)
        #expect(id.slot == 1234 && id.generation == 0xDEAD_BEEF && id.loop == 3)
        #expect(id.description == "1234.3735928559@3")
        #expect(ConnectionID(slot: 7, generation: 2).description == "7.2")
        #expect(ConnectionID(slot: 7, generation: 2, loop: 0) != ConnectionID(slot: 7, generation: 2, loop: 1))
        #expect(ConnectionID(slot: ConnectionID.maxSlot, generation: .max, loop: ConnectionID.maxLoop).slot == ConnectionID.maxSlot)
        #expect(MemoryLayout<ConnectionID>.size == 8)
    }

    @Test func aBatchRingsTheDoorbellOnceAndKeepsItsOrder() throws {
        let mailbox = try LoopMailbox<Int>()
        var first = [1, 2, 3]
        var second = [4, 5]
        mailbox.post(&first)
        mailbox.post(&second)  // the queue was not empty: no second ring
        #expect(first.isEmpty && second.isEmpty)
        var counter: UInt64 = 0
        let read = withUnsafeMutableBytes(of: &counter) { Glibc.read(mailbox.wakeFd, $0.baseAddress, 8) }
        #expect(read == 8 && counter == 1, "two batches, one wake")
        EventFd.signal(mailbox.wakeFd)  // as if unread, for take's drain
        var taken: [Int] = []
        mailbox.take(into: &taken)
        #expect(taken == [1, 2, 3, 4, 5])
        var again = [6]
        mailbox.post(&again)  // empty again: rings
        counter = 0
        _ = withUnsafeMutableBytes(of: &counter) { Glibc.read(mailbox.wakeFd, $0.baseAddress, 8) }
        #expect(counter == 1)
    }

    @Test func anEmptyBatchNeverWakes() throws {
        let mailbox = try LoopMailbox<Int>()
        var empty: [Int] = []
        mailbox.post(&empty)
        var counter: UInt64 = 0
        let read = withUnsafeMutableBytes(of: &counter) { Glibc.read(mailbox.wakeFd, $0.baseAddress, 8) }
        #expect(read == -1 && errno == EAGAIN)
    }
}
