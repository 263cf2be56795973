import Actors

/// Bytes ready for the wire (a whole WebSocket frame, or an HTTP response), encoded once
/// and shared by every recipient: per recipient the gateway keeps only a reference and an
/// offset in its queue. Immutable after creation, so it may be handed between loops.
public final class OutboundFrame: @unchecked Sendable {
    /// The bytes, in memory that stays put for `writev`.
    public let bytes: UnsafeRawBufferPointer
    /// Its priority class: LOW frames are the first dropped by a full queue.
    public let priority: MessagePriority
    private let storage: UnsafeMutableRawPointer

    /// Copies `bytes` into a new frame.
    public init<Bytes: Collection>(copying bytes: Bytes, priority: MessagePriority = .normal) where Bytes.Element == UInt8 {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(1, bytes.count), alignment: 8)
        _ = storage.initializeMemory(as: UInt8.self, from: bytes)
        self.storage = storage.baseAddress.unsafelyUnwrapped
        self.bytes = UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count])
        self.priority = priority
    }

    /// A frame of `count` bytes written by `fill`, which gets the whole buffer.
    public init(count: Int, priority: MessagePriority = .normal, fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(1, count), alignment: 8)
        fill(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
        self.storage = storage.baseAddress.unsafelyUnwrapped
        self.bytes = UnsafeRawBufferPointer(rebasing: storage[0..<count])
        self.priority = priority
    }

    /// Its size in bytes.
    public var count: Int { bytes.count }

    deinit {
        storage.deallocate()
    }
}
