import Gateway
import TestSupport
import Testing
@testable import Rooms

@Suite("Message ids")
struct MessageIDTests {
    private let jan2025: Int64 = 1_735_689_600_000

    @Test func layoutAndExtraction() {
        var generator = MessageIDGenerator(nodeID: 1_023)
        let id = generator.next(nowMs: jan2025 + 5)
        #expect(MessageID.timestampMs(of: id) == jan2025 + 5)
        #expect(MessageID.nodeID(of: id) == 1_023)
        #expect(MessageID.sequence(of: id) == 0)
        #expect(id == UInt64(jan2025 + 5 - MessageID.epochMs) << 22 | 1_023 << 12)
        #expect(MessageID.timestampMs(of: MessageID.make(milliseconds: 0, node: 0, sequence: 0)) == 1_704_067_200_000)
        let max = MessageID.make(milliseconds: .max, node: .max, sequence: .max)
        #expect(max == UInt64.max)
        #expect(MessageID.nodeID(of: max) == 1_023 && MessageID.sequence(of: max) == 4_095)
    }

    @Test func sequenceCountsWithinAMillisecond() {
        var generator = MessageIDGenerator(nodeID: 3)
        let ids = (0..<3).map { _ in generator.next(nowMs: jan2025) }
        #expect(ids.map(MessageID.sequence(of:)) == [0, 1, 2])
        #expect(Set(ids.map(MessageID.timestampMs(of:))) == [jan2025])
        #expect(MessageID.sequence(of: generator.next(nowMs: jan2025 + 1)) == 0)
    }

    @Test func exhaustedSequenceBorrowsTheNextMillisecond() {
        var generator = MessageIDGenerator(nodeID: 7)
        var previous: UInt64 = 0
        for index in 0..<10_000 {
            let id = generator.next(nowMs: jan2025)
            #expect(id > previous, "id \(index)")
            previous = id
        }
        // 10,000 ids: 4,096 + 4,096 + 1,808 over three milliseconds.
        #expect(MessageID.timestampMs(of: previous) == jan2025 + 2)
        #expect(MessageID.sequence(of: previous) == 1_807)
        #expect(MessageID.nodeID(of: previous) == 7)
        // The clock catches up: back to sequence 0 only once it passes the borrowed ms.
        #expect(MessageID.timestampMs(of: generator.next(nowMs: jan2025 + 2)) == jan2025 + 2)
        #expect(MessageID.sequence(of: generator.next(nowMs: jan2025 + 3)) == 0)
    }

    @Test func clockSteppingBackNeverMakesASmallerID() {
        var generator = MessageIDGenerator(nodeID: 1)
        var random = SplitMix64(seed: 42)
        var clock = jan2025
        var previous: UInt64 = 0
        for _ in 0..<20_000 {
            clock += Int64(random.below(7)) - 3 // wanders back and forth
            if random.below(100) == 0 { clock -= 60_000 } // an NTP step back
            let id = generator.next(nowMs: clock)
            #expect(id > previous)
            previous = id
        }
        let back = generator.next(nowMs: 0) // before the custom epoch
        #expect(back > previous)
    }

    @Test func restartAfterAnotherNodesIDStaysAbove() {
        var other = MessageIDGenerator(nodeID: 1_000)
        let last = other.next(nowMs: jan2025)
        var generator = MessageIDGenerator(nodeID: 1, after: last)
        let next = generator.next(nowMs: jan2025 - 5_000)
        #expect(next > last)
        #expect(MessageID.timestampMs(of: next) == jan2025 + 1)
    }

    @Test func nodesInTheSameMillisecondAreOrderedByNodeID() {
        var low = MessageIDGenerator(nodeID: 2)
        var high = MessageIDGenerator(nodeID: 5)
        let lowIDs = (0..<100).map { _ in low.next(nowMs: jan2025) }
        let highFirst = high.next(nowMs: jan2025)
        #expect(lowIDs.allSatisfy { $0 < highFirst })
        #expect(Set(lowIDs + [highFirst]).count == 101)
        #expect(low.next(nowMs: jan2025 + 1) > highFirst)
    }
}

/// `MessageIDGenerator.skip(past:)` and `CrossNodeRoom`'s late count.
@Suite struct MessageIDSkipTests {
    static let base: Int64 = 1_780_000_000_000

    @Test func idsAfterASkipAreAboveTheSkippedIDEvenInItsMillisecond() {
        var generator = MessageIDGenerator(nodeID: 1)
        let first = generator.next(nowMs: Self.base)
        let other = MessageID.make(milliseconds: UInt64(Self.base - MessageID.epochMs), node: 3, sequence: 7)
        #expect(other > first)
        generator.skip(past: other, nowMs: Self.base)
        let next = generator.next(nowMs: Self.base)
        #expect(next > other)
        #expect(MessageID.nodeID(of: next) == 1)
        // An older id changes nothing.
        generator.skip(past: first, nowMs: Self.base)
        #expect(generator.next(nowMs: Self.base) == next + 1)
        // A later clock goes on from the clock.
        let later = generator.next(nowMs: Self.base + 5)
        #expect(MessageID.timestampMs(of: later) == Self.base + 5)
    }

    @Test func idsFarAheadOfTheClockAreNotSkippedPast() {
        var generator = MessageIDGenerator(nodeID: 2)
        let before = generator.next(nowMs: Self.base)
        for garbled in [UInt64.max, MessageID.make(milliseconds: MessageID.maxMilliseconds, node: 1, sequence: 0),
                        MessageID.make(milliseconds: UInt64(Self.base - MessageID.epochMs) + 2 * MessageIDGenerator.maxAheadMs,
                                       node: 1, sequence: 0)] {
            let skipped = generator.skip(past: garbled, nowMs: Self.base)
            #expect(!skipped)
        }
        let after = generator.next(nowMs: Self.base)
        #expect(after == before + 1, "the generator goes on from its own last id")
        // Within the hour ahead: skipped past.
        let ahead = MessageID.make(milliseconds: UInt64(Self.base - MessageID.epochMs) + 60_000, node: 1, sequence: 0)
        let skipped = generator.skip(past: ahead, nowMs: Self.base)
        #expect(skipped)
        #expect(generator.next(nowMs: Self.base) > ahead)
    }

    @Test func aJoinerIsNotSentAgainWhatItsHistoryCarried() {
        var room = CrossNodeRoom()
        let joiner = ConnectionID(slot: 7, generation: 1), other = ConnectionID(slot: 8, generation: 1)
        room.noteJoined(joiner, history: [10, 11], nowMs: 1000)
        room.noteJoined(other, history: [11], nowMs: 1000)
        #expect(Set(room.deliver(11, nowMs: 1100).alreadyHave) == [joiner, other])
        #expect(room.deliver(12, nowMs: 1100).alreadyHave.isEmpty)
        // Forgotten after the join memory.
        #expect(room.deliver(10, nowMs: 1000 + CrossNodeRoom.joinMemoryMs + 1).alreadyHave.isEmpty)
    }

    @Test func aRoomCountsASmallerIDAfterALargerAsLate() {
        var room = CrossNodeRoom()
        let results = [5, 9, 7, 9, 10].map { room.deliver($0, nowMs: 0).inOrder }
        #expect(results == [true, true, false, false, true])
        #expect(room.lastDeliveredID == 10)
    }
}
