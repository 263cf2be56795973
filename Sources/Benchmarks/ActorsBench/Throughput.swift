import Actors

// MARK: - Messages per second between two actors: Mailbox, plain await, AsyncStream

/// Sends into a mailbox, calls a counter, or yields into a stream: the sending side.
actor Producer {
    private var total = 0

    func send(_ count: Int, into mailbox: Mailbox<Int>) {
        for i in 0..<count { mailbox.send(i) }
    }

    /// Awaits `count` calls on `counter` and adds each answer to the producer's own state:
    /// with a local sum, the optimiser may skip the hop back onto the producer between calls.
    func call(_ count: Int, on counter: Counter) async -> Int {
        total = 0
        for i in 0..<count { total &+= await counter.add(i) }
        return total
    }

    func yield(_ count: Int, into continuation: AsyncStream<Int>.Continuation) {
        for i in 0..<count { continuation.yield(i) }
        continuation.finish()
    }
}

/// Takes messages out of a mailbox or a stream: the receiving side.
actor Consumer {
    private var total = 0

    /// One `await next()` per message, each result added to the consumer's own state.
    func drain(_ count: Int, from mailbox: Mailbox<Int>) async -> Int {
        total = 0
        for _ in 0..<count {
            guard let message = await mailbox.next() else { break }
            total &+= message
        }
        return total
    }

    /// Takes what is queued with `tryNext()` and awaits `next()` only when it is empty.
    func drainInBatches(_ count: Int, from mailbox: Mailbox<Int>) async -> Int {
        total = 0
        var received = 0
        while received < count {
            if let message = mailbox.tryNext() {
                total &+= message
                received += 1
                continue
            }
            guard let message = await mailbox.next() else { break }
            total &+= message
            received += 1
        }
        return total
    }

    func drain(_ stream: AsyncStream<Int>) async -> Int {
        total = 0
        for await message in stream { total &+= message }
        return total
    }
}

/// The callee of the plain actor call.
actor Counter {
    private var calls = 0

    func add(_ value: Int) -> Int {
        calls &+= 1
        return value &+ calls
    }
}

/// One measured run: messages moved and the time it took.
struct ThroughputResult {
    var name: String
    var messages: Int
    var elapsed: Duration
    var perSecond: Double { Double(messages) / Report.seconds(elapsed) }
}

enum Throughput {
    /// A producer actor sends `count` messages into a mailbox that a consumer actor drains.
    static func mailbox(_ count: Int) async -> ThroughputResult {
        let mailbox = Mailbox<Int>(capacity: count)
        let producer = Producer()
        let consumer = Consumer()
        let start = ContinuousClock.now
        async let received = consumer.drain(count, from: mailbox)
        await producer.send(count, into: mailbox)
        let sum = await received
        let elapsed = ContinuousClock.now - start
        precondition(sum == count * (count - 1) / 2 && mailbox.droppedTotal == 0, "mailbox lost messages")
        return ThroughputResult(name: "Mailbox, await next()", messages: count, elapsed: elapsed)
    }

    /// As `mailbox`, with the consumer draining with `tryNext()` between awaits.
    static func mailboxBatched(_ count: Int) async -> ThroughputResult {
        let mailbox = Mailbox<Int>(capacity: count)
        let producer = Producer()
        let consumer = Consumer()
        let start = ContinuousClock.now
        async let received = consumer.drainInBatches(count, from: mailbox)
        await producer.send(count, into: mailbox)
        let sum = await received
        let elapsed = ContinuousClock.now - start
        precondition(sum == count * (count - 1) / 2 && mailbox.droppedTotal == 0, "mailbox lost messages")
        return ThroughputResult(name: "Mailbox, tryNext() + next()", messages: count, elapsed: elapsed)
    }

    /// The mailbox alone: one task sends `count` messages, then takes them back out
    /// (no hand-off, no contention), the floor under the two-actor figures.
    static func mailboxAlone(_ count: Int) async -> ThroughputResult {
        let mailbox = Mailbox<Int>(capacity: count)
        let start = ContinuousClock.now
        for i in 0..<count { mailbox.send(i) }
        var sum = 0
        while let message = mailbox.tryNext() { sum &+= message }
        let elapsed = ContinuousClock.now - start
        precondition(sum == count * (count - 1) / 2, "mailbox lost messages")
        return ThroughputResult(name: "Mailbox alone, one task", messages: count, elapsed: elapsed)
    }

    /// A producer actor awaits `count` calls of a method on another actor.
    static func actorCalls(_ count: Int) async -> ThroughputResult {
        let producer = Producer()
        let counter = Counter()
        let start = ContinuousClock.now
        let sum = await producer.call(count, on: counter)
        let elapsed = ContinuousClock.now - start
        precondition(sum == count * (count - 1) / 2 + count * (count + 1) / 2, "actor calls miscounted")
        return ThroughputResult(name: "await actor method", messages: count, elapsed: elapsed)
    }

    /// A producer actor yields `count` messages into an `AsyncStream` a consumer iterates.
    static func asyncStream(_ count: Int) async -> ThroughputResult {
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .unbounded)
        let producer = Producer()
        let consumer = Consumer()
        let start = ContinuousClock.now
        async let received = consumer.drain(stream)
        await producer.yield(count, into: continuation)
        let sum = await received
        let elapsed = ContinuousClock.now - start
        precondition(sum == count * (count - 1) / 2, "stream lost messages")
        return ThroughputResult(name: "AsyncStream", messages: count, elapsed: elapsed)
    }
}
