import Actors
@preconcurrency import Glibc

/// A connection's queue of frames waiting for the socket, with a byte budget.
///
/// Entries are shared frames plus an offset: queuing a frame for a recipient copies
/// nothing. The budget (DESIGN.md tiers: 128/64/16/4 KiB) bounds the bytes waiting: when a
/// frame does not fit, LOW frames waiting (not yet partly written) are dropped first; a LOW
/// frame that does not fit is dropped itself; any other frame that still does not fit
/// makes the connection a slow consumer (the caller closes it with 4008). A frame is
/// always accepted into an empty queue, so memory per connection is at most the budget
/// plus one frame.
public struct OutboundQueue {
    /// What `enqueue` did.
    public enum EnqueueResult: Equatable, Sendable {
        /// Queued.
        case queued
        /// A LOW frame that did not fit was dropped.
        case droppedLow
        /// The frame does not fit even without LOW frames: a slow consumer.
        case overBudget
    }

    private struct Entry: Sendable {
        var frame: OutboundFrame
        var offset: Int
    }

    private var entries = RingBuffer<Entry>(capacity: 1)
    /// Bytes queued and not yet written.
    public private(set) var pendingBytes = 0
    /// Byte budget of waiting frames.
    public var budget: Int
    /// LOW frames dropped because of the budget.
    public private(set) var droppedLow = 0

    /// An empty queue with `budget` bytes.
    public init(budget: Int) {
        self.budget = budget
    }

    /// True when nothing waits.
    public var isEmpty: Bool { entries.isEmpty }
    /// Frames waiting.
    public var count: Int { entries.count }

    /// Queues `frame` under the budget rules above.
    public mutating func enqueue(_ frame: OutboundFrame) -> EnqueueResult {
        let size = frame.count
        if entries.isEmpty || pendingBytes + size <= budget {
            append(frame)
            return .queued
        }
        if frame.priority == .low {
            droppedLow += 1
            return .droppedLow
        }
        dropWaitingLowFrames()
        if entries.isEmpty || pendingBytes + size <= budget {
            append(frame)
            return .queued
        }
        return .overBudget
    }

    /// Queues `frame` whatever the budget (control frames, the close frame).
    public mutating func enqueueUnbounded(_ frame: OutboundFrame) {
        append(frame)
    }

    private mutating func append(_ frame: OutboundFrame) {
        entries.append(Entry(frame: frame, offset: 0))
        pendingBytes += frame.count
    }

    private mutating func dropWaitingLowFrames() {
        var kept = RingBuffer<Entry>(capacity: entries.count)
        var first = true
        while let entry = entries.popFirst() {
            if entry.frame.priority == .low && !(first && entry.offset > 0) {
                pendingBytes -= entry.frame.count - entry.offset
                droppedLow += 1
            } else {
                kept.append(entry)
            }
            first = false
        }
        entries = kept
    }

    /// Fills up to `capacity` iovecs with the waiting bytes, in order; returns how many.
    public func fill(_ vectors: UnsafeMutablePointer<iovec>, capacity: Int) -> Int {
        var filled = 0
        var copy = entries
        while filled < capacity, let entry = copy.popFirst() {
            let base = entry.frame.bytes.baseAddress.map { UnsafeMutableRawPointer(mutating: $0 + entry.offset) }
            vectors[filled] = iovec(iov_base: base, iov_len: entry.frame.count - entry.offset)
            filled += 1
        }
        return filled
    }

    /// Marks `written` bytes as sent: whole frames leave the queue, a partial one keeps its offset.
    public mutating func advance(by written: Int) {
        var left = written
        while left > 0, var entry = entries.first {
            let remaining = entry.frame.count - entry.offset
            if left >= remaining {
                _ = entries.popFirst()
                pendingBytes -= remaining
                left -= remaining
            } else {
                entry.offset += left
                pendingBytes -= left
                left = 0
                _ = entries.popFirst()
                entries.pushFront(entry)
            }
        }
    }

    /// Drops everything (the connection is closing).
    public mutating func removeAll() {
        entries = RingBuffer(capacity: 1)
        pendingBytes = 0
    }
}
