import Actors
import Synchronization
import Testing
import TestSupport

/// The bounded priority mailbox.
@Suite struct MailboxTests {
    func drain(_ mailbox: Mailbox<String>) -> [String] {
        var out: [String] = []
        while let message = mailbox.tryNext() { out.append(message) }
        return out
    }

    @Test func mostImportantFirstOldestFirstWithinAClass() {
        let mailbox = Mailbox<String>(capacity: 100)
        mailbox.send("low-1", priority: .low)
        mailbox.send("normal-1")
        mailbox.send("critical-1", priority: .critical)
        mailbox.send("high-1", priority: .high)
        mailbox.send("low-2", priority: .low)
        mailbox.send("normal-2", priority: .normal)
        mailbox.send("critical-2", priority: .critical)
        mailbox.send("high-2", priority: .high)
        #expect(mailbox.depth == 8)
        #expect(drain(mailbox) == ["critical-1", "critical-2", "high-1", "high-2", "normal-1", "normal-2", "low-1", "low-2"])
        #expect(mailbox.depth == 0)
        #expect(mailbox.tryNext() == nil)
    }

    @Test func manyMessagesOfOneClassStayInOrder() {
        let mailbox = Mailbox<Int>(capacity: 10_000)
        for i in 0..<1_000 { mailbox.send(i) }
        var out: [Int] = []
        while let i = mailbox.tryNext() { out.append(i) }
        #expect(out == Array(0..<1_000))
    }

    @Test func overflowDisplacesTheOldestOfTheLowestClassBelow() {
        let mailbox = Mailbox<String>(capacity: 3)
        #expect(mailbox.send("n1") == .enqueued)
        #expect(mailbox.send("l1", priority: .low) == .enqueued)
        #expect(mailbox.send("l2", priority: .low) == .enqueued)
        #expect(mailbox.send("h1", priority: .high) == .enqueuedDropping(.low))
        #expect(mailbox.send("n2") == .enqueuedDropping(.low))
        #expect(mailbox.send("h2", priority: .high) == .enqueuedDropping(.normal))
        #expect(mailbox.depth == 3)
        #expect(drain(mailbox) == ["h1", "h2", "n2"])
        #expect(mailbox.dropped(.low) == 2)
        #expect(mailbox.dropped(.normal) == 1)
        #expect(mailbox.dropped(.high) == 0)
        #expect(mailbox.droppedTotal == 3)
    }

    @Test func aFullMailboxDropsANewMessageThatIsNotMoreImportant() {
        let mailbox = Mailbox<String>(capacity: 3)
        for i in 1...3 { mailbox.send("h\(i)", priority: .high) }
        #expect(mailbox.send("n", priority: .normal) == .dropped)
        #expect(mailbox.send("h4", priority: .high) == .dropped)
        #expect(mailbox.send("l", priority: .low) == .dropped)
        #expect(mailbox.dropped(.normal) == 1)
        #expect(mailbox.dropped(.high) == 1)
        #expect(mailbox.dropped(.low) == 1)
        #expect(drain(mailbox) == ["h1", "h2", "h3"])
    }

    @Test func criticalIsNeverDroppedEvenPastCapacity() {
        let mailbox = Mailbox<String>(capacity: 3)
        for i in 1...3 { #expect(mailbox.send("c\(i)", priority: .critical) == .enqueued) }
        #expect(mailbox.send("c4", priority: .critical) == .enqueued)
        #expect(mailbox.send("c5", priority: .critical) == .enqueued)
        #expect(mailbox.depth == 5)
        #expect(mailbox.send("h", priority: .high) == .dropped)
        #expect(mailbox.dropped(.critical) == 0)
        #expect(drain(mailbox) == ["c1", "c2", "c3", "c4", "c5"])
    }

    @Test func criticalDisplacesLowerClassesWhenFull() {
        let mailbox = Mailbox<String>(capacity: 2)
        mailbox.send("l", priority: .low)
        mailbox.send("n", priority: .normal)
        #expect(mailbox.send("c1", priority: .critical) == .enqueuedDropping(.low))
        #expect(mailbox.send("c2", priority: .critical) == .enqueuedDropping(.normal))
        #expect(mailbox.send("c3", priority: .critical) == .enqueued)
        #expect(drain(mailbox) == ["c1", "c2", "c3"])
        #expect(mailbox.dropped(.critical) == 0)
    }

    @Test func depthIsReadableFromAnotherThread() async {
        let mailbox = Mailbox<Int>(capacity: 100)
        for i in 0..<7 { mailbox.send(i) }
        let seen = await Task.detached { mailbox.depth }.value
        #expect(seen == 7)
        _ = mailbox.tryNext()
        #expect(await Task.detached { mailbox.depth }.value == 6)
    }

    @Test func nextWaitsForAMessage() async {
        let mailbox = Mailbox<String>(capacity: 10)
        let consumer = Task { await mailbox.next() }
        await Task.yield()
        mailbox.send("hello")
        #expect(await consumer.value == "hello")
        #expect(mailbox.depth == 0)
    }

    @Test func nextReturnsNilWhenTheWaitingTaskIsCancelled() async throws {
        let mailbox = Mailbox<String>(capacity: 10)
        let started = Mutex(false)
        let consumer = Task {
            started.withLock { $0 = true }
            return await mailbox.next()
        }
        try await eventually { started.withLock { $0 } }
        consumer.cancel()
        #expect(await consumer.value == nil)
        // A task cancelled before it asks gets nil too.
        let late = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await mailbox.next()
        }
        #expect(await late.value == nil)
        // The mailbox still works.
        mailbox.send("after")
        #expect(await mailbox.next() == "after")
    }

    @Test func closeDrainsThenReturnsNilAndRefusesMore() async {
        let mailbox = Mailbox<String>(capacity: 10)
        mailbox.send("a")
        mailbox.send("b", priority: .high)
        mailbox.close()
        #expect(mailbox.send("c") == .dropped)
        #expect(mailbox.send("d", priority: .critical) == .dropped)
        #expect(await mailbox.next() == "b")
        #expect(await mailbox.next() == "a")
        #expect(await mailbox.next() == nil)
        #expect(await mailbox.next() == nil)
    }

    @Test func closeWakesAWaitingConsumer() async throws {
        let mailbox = Mailbox<String>(capacity: 10)
        let started = Mutex(false)
        let consumer = Task {
            started.withLock { $0 = true }
            return await mailbox.next()
        }
        try await eventually { started.withLock { $0 } }
        mailbox.close()
        #expect(await consumer.value == nil)
    }

    @Test func concurrentProducersLoseNothingUnderCapacity() async {
        let producers = 8
        let perProducer = 2_000
        let mailbox = Mailbox<(producer: Int, sequence: Int)>(capacity: producers * perProducer)
        let consumer = Task {
            var lastSeen = [Int](repeating: -1, count: producers)
            var received = 0
            var inOrder = true
            while received < producers * perProducer, let message = await mailbox.next() {
                if message.sequence != lastSeen[message.producer] + 1 { inOrder = false }
                lastSeen[message.producer] = message.sequence
                received += 1
            }
            return (received, inOrder, lastSeen)
        }
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                group.addTask {
                    for sequence in 0..<perProducer {
                        mailbox.send((producer, sequence), priority: .normal)
                        if sequence % 64 == 0 { await Task.yield() }
                    }
                }
            }
        }
        let (received, inOrder, lastSeen) = await consumer.value
        #expect(received == producers * perProducer)
        #expect(inOrder)
        #expect(lastSeen == [Int](repeating: perProducer - 1, count: producers))
        #expect(mailbox.droppedTotal == 0)
        #expect(mailbox.depth == 0)
    }

    @Test func ringBufferGrowsAndKeepsOrder() {
        var ring = RingBuffer<Int>(capacity: 2)
        for i in 0..<5 { ring.append(i) }
        #expect(ring.popFirst() == 0)
        #expect(ring.popFirst() == 1)
        for i in 5..<20 { ring.append(i) }
        #expect(ring.count == 18)
        #expect(ring.first == 2)
        var out: [Int] = []
        while let i = ring.popFirst() { out.append(i) }
        #expect(out == Array(2..<20))
        #expect(ring.isEmpty)
    }
}
