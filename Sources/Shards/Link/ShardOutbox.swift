
/// Commands for one shard that are waiting to be sent or waiting for their replies.
/// It outlives the link's connections: when Valkey goes away, writes wait here (bounded)
/// and are sent again, in order, when the link reconnects.
///
/// A batch is a group of commands with one completion (e.g. ZADD + EXPIRE + PUBLISH of one
/// message): it is accepted or refused whole, so nothing is half-queued. Commands that were
/// in flight when a connection broke are sent again after the reconnect: the node's writes
/// are idempotent (ZADD of the same id, SADD, HSET, SET; a PUBLISH repeated is deduplicated
/// by message id on the receiving side).
struct ShardOutbox {
    /// A batch of encoded commands and the callback that gets their replies.
    struct Batch {
        let bytes: [UInt8]
        let commandCount: Int
        let completion: (Result<[RESPValue], ShardLinkError>) -> Void
        var replies: [RESPValue] = []
    }

    /// Commands held at most (unsent and in flight together).
    let maxCommands: Int
    /// Bytes held at most.
    let maxBytes: Int
    private(set) var unsent: [Batch] = []
    private var unsentHead = 0
    private(set) var inFlight = RingBufferOfBatches()
    private(set) var commandCount = 0
    private(set) var byteCount = 0

    init(maxCommands: Int = 10_000, maxBytes: Int = 8 << 20) {
        self.maxCommands = maxCommands
        self.maxBytes = maxBytes
    }

    /// Batches waiting to be written.
    var unsentCount: Int { unsent.count - unsentHead }

    /// Queues a batch; false (nothing queued) when it would exceed the bounds.
    mutating func enqueue(_ batch: Batch) -> Bool {
        guard commandCount + batch.commandCount <= maxCommands, byteCount + batch.bytes.count <= maxBytes else {
            return false
        }
        unsent.append(batch)
        commandCount += batch.commandCount
        byteCount += batch.bytes.count
        return true
    }

    /// Moves every unsent batch to in-flight, handing each one's bytes to `write`.
    mutating func sendAll(_ write: ([UInt8]) -> Void) {
        while unsentHead < unsent.count {
            let batch = unsent[unsentHead]
            write(batch.bytes)
            inFlight.append(batch)
            unsentHead += 1
        }
        unsent.removeAll(keepingCapacity: true)
        unsentHead = 0
    }

    /// Takes one reply for the oldest in-flight batch; returns the batch when complete.
    mutating func receive(_ value: RESPValue) -> Batch? {
        guard var batch = inFlight.popFirst() else { return nil }
        batch.replies.append(value)
        if batch.replies.count < batch.commandCount {
            inFlight.pushFront(batch)
            return nil
        }
        commandCount -= batch.commandCount
        byteCount -= batch.bytes.count
        return batch
    }

    /// True when a reply arrives with nothing in flight (the server is out of step).
    var isAwaitingReplies: Bool { !inFlight.isEmpty }

    /// After a broken connection: in-flight batches go back in front of the unsent ones,
    /// their partial replies dropped, to be sent again.
    mutating func requeueInFlight() {
        var again: [Batch] = []
        while var batch = inFlight.popFirst() {
            batch.replies.removeAll()
            again.append(batch)
        }
        unsent = again + unsent[unsentHead...]
        unsentHead = 0
    }

    /// Fails everything (the link is stopping for good).
    mutating func failAll(_ error: ShardLinkError) {
        requeueInFlight()
        let all = unsent
        unsent = []
        unsentHead = 0
        commandCount = 0
        byteCount = 0
        for batch in all { batch.completion(.failure(error)) }
    }
}

/// A FIFO of batches (RingBuffer needs Sendable elements; batches hold loop-bound closures).
struct RingBufferOfBatches {
    private var items: [ShardOutbox.Batch] = []
    private var head = 0

    var isEmpty: Bool { head >= items.count }
    var count: Int { items.count - head }

    mutating func append(_ batch: ShardOutbox.Batch) { items.append(batch) }

    mutating func popFirst() -> ShardOutbox.Batch? {
        guard head < items.count else { return nil }
        let batch = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return batch
    }

    mutating func pushFront(_ batch: ShardOutbox.Batch) {
        if head > 0 {
            head -= 1
            items[head] = batch
        } else {
            items.insert(batch, at: 0)
        }
    }
}
