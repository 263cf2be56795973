/// Identifies one connection of a gateway: the event loop that serves it, its descriptor
/// slot, and a generation that changes when the slot is reused, so a stale id never
/// reaches a new connection.
///
/// Packed in 8 bytes (`generation << 32 | loop << 24 | slot`): the loop index makes
/// routing a send to the connection's loop O(1) (`GATEWAY_LOOPS`, docs/architecture.md),
/// and ids stay as cheap to hash and store as before. Slots are descriptors below 2^24
/// (the gateway refuses a descriptor above that rather than truncating it).
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    private let packed: UInt64

    /// Largest descriptor an id can carry.
    public static let maxSlot: Int32 = (1 << 24) - 1
    /// Largest loop index an id can carry.
    public static let maxLoop = 255

    /// An id; `slot` is masked to 24 bits and `loop` to 8 (see `maxSlot`, `maxLoop`).
    public init(slot: Int32, generation: UInt32, loop: Int = 0) {
        let slotBits = UInt64(UInt32(bitPattern: slot) & 0xFF_FFFF)
        let loopBits = UInt64(UInt8(truncatingIfNeeded: loop)) << 24
        packed = UInt64(generation) << 32 | loopBits | slotBits
    }

    /// The descriptor number.
    public var slot: Int32 { Int32(truncatingIfNeeded: packed & 0xFF_FFFF) }
    /// Incremented each time the slot is reused.
    public var generation: UInt32 { UInt32(truncatingIfNeeded: packed >> 32) }
    /// Index of the event loop serving the connection (0: the loop of the application).
    public var loop: Int { Int(truncatingIfNeeded: (packed >> 24) & 0xFF) }

    /// `slot.generation`, with `@loop` for connections on loops other than 0.
    public var description: String { loop == 0 ? "\(slot).\(generation)" : "\(slot).\(generation)@\(loop)" }
}
