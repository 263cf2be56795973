/// A growable FIFO queue with O(1) push and pop (the standard library has no deque).
public struct RingBuffer<Element>: Sendable where Element: Sendable {
    private var storage: [Element?]
    private var head = 0
    /// Number of elements queued.
    public private(set) var count = 0

    /// An empty queue with room for `capacity` elements before it grows.
    public init(capacity: Int = 8) {
        storage = Array(repeating: nil, count: Swift.max(1, capacity))
    }

    /// True when nothing is queued.
    public var isEmpty: Bool { count == 0 }

    /// Appends at the tail.
    public mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[(head + count) % storage.count] = element
        count += 1
    }

    /// Puts `element` back at the head (e.g. a partly consumed element).
    public mutating func pushFront(_ element: Element) {
        if count == storage.count { grow() }
        head = (head - 1 + storage.count) % storage.count
        storage[head] = element
        count += 1
    }

    /// Removes and returns the head, nil when empty.
    public mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        return element
    }

    /// The head without removing it.
    public var first: Element? { count > 0 ? storage[head] : nil }

    private mutating func grow() {
        var bigger: [Element?] = Array(repeating: nil, count: storage.count * 2)
        for index in 0..<count { bigger[index] = storage[(head + index) % storage.count] }
        storage = bigger
        head = 0
    }
}
