/// A growable FIFO queue with O(1) push and pop (the standard library has no deque).
///
/// `@inlinable`, so that other modules (the gateway's outbound queues) get code specialised
/// for their element type: unspecialised, every `popFirst` looked up generic metadata at run
/// time (about 2 % of the node's CPU in a W3 profile, `_swift_getGenericMetadata`).
public struct RingBuffer<Element>: Sendable where Element: Sendable {
    @usableFromInline var storage: [Element?]
    @usableFromInline var head = 0
    @usableFromInline var queued = 0

    /// An empty queue with room for `capacity` elements before it grows.
    @inlinable
    public init(capacity: Int = 8) {
        storage = Array(repeating: nil, count: Swift.max(1, capacity))
    }

    /// Number of elements queued.
    @inlinable public var count: Int { queued }

    /// True when nothing is queued.
    @inlinable public var isEmpty: Bool { queued == 0 }

    /// Appends at the tail.
    @inlinable
    public mutating func append(_ element: Element) {
        if queued == storage.count { grow() }
        storage[(head + queued) % storage.count] = element
        queued += 1
    }

    /// Puts `element` back at the head (e.g. a partly consumed element).
    @inlinable
    public mutating func pushFront(_ element: Element) {
        if queued == storage.count { grow() }
        head = (head - 1 + storage.count) % storage.count
        storage[head] = element
        queued += 1
    }

    /// Removes and returns the head, nil when empty.
    @inlinable
    public mutating func popFirst() -> Element? {
        guard queued > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        queued -= 1
        return element
    }

    /// The head without removing it.
    @inlinable public var first: Element? { queued > 0 ? storage[head] : nil }

    @usableFromInline
    mutating func grow() {
        var bigger: [Element?] = Array(repeating: nil, count: storage.count * 2)
        for index in 0..<queued { bigger[index] = storage[(head + index) % storage.count] }
        storage = bigger
        head = 0
    }
}
