import Synchronization

/// A bounded, multi-producer single-consumer mailbox with the four priority classes.
///
/// The consumer takes the most important message first, oldest first within a class.
/// When the mailbox is full, a new message displaces the oldest message of the lowest
/// class below its own; if every queued message is at least as important, the new one is
/// dropped, except CRITICAL, which is always accepted (the bound is exceeded rather than
/// lose it). Every drop is counted per class. `depth` is an atomic: readable from any
/// thread without a hop onto the consumer.
///
/// ```
/// full, capacity 3: [N N L]  + H  ->  [H N N]   (L dropped)
///                   [H H H]  + N  ->  [H H H]   (N dropped)
///                   [C C C]  + C  ->  [C C C C] (never dropped)
/// ```
public final class Mailbox<Message: Sendable>: Sendable {
    /// What `send` did.
    public enum SendResult: Sendable, Equatable {
        /// Queued, nothing dropped.
        case enqueued
        /// Queued after dropping an older message of this class.
        case enqueuedDropping(MessagePriority)
        /// Not queued: the mailbox is full of messages at least as important, or closed.
        case dropped
    }

    private struct State {
        var queues: [RingBuffer<Message>] = MessagePriority.allCases.map { _ in RingBuffer() }
        var count = 0
        var waiter: CheckedContinuation<Message?, Never>?
        var closed = false
        var drops = [Int](repeating: 0, count: MessagePriority.allCases.count)
    }

    /// Messages the mailbox holds before it starts dropping.
    public let capacity: Int
    private let state = Mutex(State())
    private let depthCounter = Atomic<Int>(0)

    /// A mailbox bounded at `capacity` messages (at least 1).
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Messages waiting now.
    public var depth: Int { depthCounter.load(ordering: .relaxed) }

    /// Messages of `priority` dropped since the mailbox was made.
    public func dropped(_ priority: MessagePriority) -> Int {
        state.withLock { $0.drops[priority.rawValue] }
    }

    /// All messages dropped since the mailbox was made.
    public var droppedTotal: Int { state.withLock { $0.drops.reduce(0, +) } }

    /// Queues `message`; never blocks, never suspends.
    @discardableResult
    public func send(_ message: Message, priority: MessagePriority = .normal) -> SendResult {
        let (result, waiter, handOver): (SendResult, CheckedContinuation<Message?, Never>?, Message?) =
            state.withLock { state in
                if state.closed {
                    state.drops[priority.rawValue] += 1
                    return (.dropped, nil, nil)
                }
                if let waiter = state.waiter {
                    state.waiter = nil
                    return (.enqueued, waiter, message)
                }
                var result = SendResult.enqueued
                if state.count >= capacity {
                    let lowest = MessagePriority.allCases.first { !state.queues[$0.rawValue].isEmpty }
                    if let lowest, lowest < priority {
                        _ = state.queues[lowest.rawValue].popFirst()
                        state.count -= 1
                        state.drops[lowest.rawValue] += 1
                        result = .enqueuedDropping(lowest)
                    } else if priority != .critical {
                        state.drops[priority.rawValue] += 1
                        return (.dropped, nil, nil)
                    }
                }
                state.queues[priority.rawValue].append(message)
                state.count += 1
                depthCounter.store(state.count, ordering: .relaxed)
                return (result, nil, nil)
            }
        if let waiter { waiter.resume(returning: handOver) }
        return result
    }

    /// Takes the most important waiting message without suspending; nil when empty.
    public func tryNext() -> Message? {
        state.withLock { Self.pop(&$0, depth: depthCounter) }
    }

    /// Waits for the next message. Nil when the mailbox is closed and empty, or when the
    /// waiting task is cancelled. One consumer at a time.
    public func next() async -> Message? {
        if let message = tryNext() { return message }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Message?, Never>) in
                let ready: Message?? = state.withLock { state in
                    if let message = Self.pop(&state, depth: depthCounter) { return .some(message) }
                    if state.closed || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Message?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Refuses further messages; the consumer drains what is queued, then gets nil.
    public func close() {
        let waiter = state.withLock { state -> CheckedContinuation<Message?, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    private static func pop(_ state: inout State, depth: borrowing Atomic<Int>) -> Message? {
        for priority in MessagePriority.allCases.reversed() {
            if let message = state.queues[priority.rawValue].popFirst() {
                state.count -= 1
                depth.store(state.count, ordering: .relaxed)
                return message
            }
        }
        return nil
    }
}
