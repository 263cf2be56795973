import Synchronization

/// A batch hand-off between two event loops: producers append a whole round's worth of
/// items under a lock, and ring the consumer's doorbell (an eventfd the consumer's loop
/// watches) only when the queue goes from empty to non-empty; the consumer swaps the queue
/// out once per wake. So the cost is one lock and at most one wake per batch, never per
/// item, and in steady state no allocation: the arrays are swapped, keeping their capacity.
///
/// The consumer reads the doorbell before taking the queue, so an item appended after the
/// take rings again and is not stranded (at worst a wake finds the queue empty).
public final class LoopMailbox<Item: Sendable>: Sendable {
    /// The doorbell: register it on the consumer's loop (readable when items wait).
    public let wakeFd: Int32
    private let queue = Mutex<[Item]>([])

    /// A mailbox with a new eventfd.
    public init() throws(SystemError) {
        wakeFd = try EventFd.create()
    }

    deinit {
        Syscall.close(wakeFd)
    }

    /// Appends `batch` (left empty, with its capacity) and wakes the consumer if it had
    /// nothing waiting. Any thread.
    public func post(_ batch: inout [Item]) {
        guard !batch.isEmpty else { return }
        let wasEmpty = queue.withLock { queue -> Bool in
            if queue.isEmpty {
                swap(&queue, &batch)
                return true
            }
            queue.append(contentsOf: batch)
            return false
        }
        batch.removeAll(keepingCapacity: true)
        if wasEmpty { EventFd.signal(wakeFd) }
    }

    /// Moves everything waiting into `spare`, which must be empty. Consumer's loop only.
    public func take(into spare: inout [Item]) {
        EventFd.drain(wakeFd)
        queue.withLock { swap(&$0, &spare) }
    }
}

/// Readiness of a mailbox's doorbell: calls `body` on the consumer's loop.
public final class MailboxHandler: EventLoopHandler {
    let body: () -> Void
    /// A handler calling `body`.
    public init(_ body: @escaping () -> Void) { self.body = body }
    public func handleEvents(_ events: UInt32) { body() }
}
