@preconcurrency import Glibc
import Actors
import Testing
@testable import Gateway

@Suite struct OutboundQueueTests {
    private func frame(_ size: Int, _ priority: MessagePriority = .normal, byte: UInt8 = 0x41) -> OutboundFrame {
        OutboundFrame(copying: [UInt8](repeating: byte, count: size), priority: priority)
    }

    @Test func acceptsUpToTheBudget() {
        var queue = OutboundQueue(budget: 100)
        #expect(queue.enqueue(frame(60)) == .queued)
        #expect(queue.enqueue(frame(40)) == .queued)
        #expect(queue.pendingBytes == 100)
        #expect(queue.enqueue(frame(1)) == .overBudget)
    }

    @Test func anEmptyQueueTakesOneFrameOfAnySize() {
        var queue = OutboundQueue(budget: 10)
        #expect(queue.enqueue(frame(500)) == .queued)
        #expect(queue.enqueue(frame(1)) == .overBudget)
    }

    @Test func lowFramesAreDroppedFirst() {
        var queue = OutboundQueue(budget: 100)
        #expect(queue.enqueue(frame(30)) == .queued)
        #expect(queue.enqueue(frame(30, .low)) == .queued)
        #expect(queue.enqueue(frame(30, .low)) == .queued)
        // A LOW frame that does not fit is dropped itself.
        #expect(queue.enqueue(frame(20, .low)) == .droppedLow)
        // A NORMAL frame that does not fit displaces the waiting LOW frames.
        #expect(queue.enqueue(frame(50)) == .queued)
        #expect(queue.pendingBytes == 80)
        #expect(queue.count == 2)
        #expect(queue.droppedLow == 3)
    }

    @Test func partlyWrittenLowFrameIsKept() {
        var queue = OutboundQueue(budget: 100)
        #expect(queue.enqueue(frame(60, .low)) == .queued)
        queue.advance(by: 10)
        #expect(queue.enqueue(frame(51)) == .overBudget)
        #expect(queue.count == 1)
        #expect(queue.pendingBytes == 50)
    }

    @Test func fillAndAdvanceWalkTheBytesInOrder() {
        var queue = OutboundQueue(budget: 1000)
        _ = queue.enqueue(frame(5, byte: 1))
        _ = queue.enqueue(frame(7, byte: 2))
        _ = queue.enqueue(frame(3, byte: 3))
        var vectors = [iovec](repeating: iovec(), count: 8)
        var collected: [UInt8] = []
        // Write in odd-sized steps, as a socket would accept them.
        for step in [4, 2, 6, 3] {
            let count = vectors.withUnsafeMutableBufferPointer { queue.fill($0.baseAddress!, capacity: 8) }
            var all: [UInt8] = []
            for index in 0..<count {
                let vector = vectors[index]
                all += UnsafeRawBufferPointer(start: vector.iov_base, count: vector.iov_len)
            }
            collected += all.prefix(step)
            queue.advance(by: step)
        }
        #expect(collected == [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3])
        #expect(queue.isEmpty)
        #expect(queue.pendingBytes == 0)
    }

    @Test func oneSharedFrameServesManyQueues() {
        let shared = frame(64)
        var queues = (0..<100).map { _ in OutboundQueue(budget: 4096) }
        for index in queues.indices { #expect(queues[index].enqueue(shared) == .queued) }
        #expect(queues.allSatisfy { $0.pendingBytes == 64 })
    }
}
