/// Time-ordered 64-bit message ids.
///
/// ```
///  63                                        22 21        12 11          0
///  +-------------------------------------------+------------+-------------+
///  | milliseconds since 2024-01-01T00:00:00Z   |  node id   |  sequence   |
///  |                 42 bits                   |  10 bits   |   12 bits   |
///  +-------------------------------------------+------------+-------------+
/// ```
///
/// 42 bits of milliseconds last about 139 years (to 2163). Ids from one
/// ``MessageIDGenerator`` are strictly increasing. Across nodes ids are unique (distinct node
/// ids) and ordered by (millisecond, node id, sequence): two nodes in the same millisecond
/// are ordered by node id, and clock skew between nodes shows as ordering by their clocks.
///
/// Note for storage: current ids are above 2^53, so a `double` (a Valkey sorted-set score)
/// cannot hold one exactly.
public enum MessageID {
    /// The custom epoch, 2024-01-01T00:00:00Z, in ms since the Unix epoch.
    public static let epochMs: Int64 = 1_704_067_200_000
    /// Bits of the node id.
    public static let nodeBits = 10
    /// Bits of the sequence.
    public static let sequenceBits = 12
    /// The largest node id, 1023.
    public static let maxNodeID = UInt16((1 << nodeBits) - 1)
    /// The largest sequence within one millisecond, 4095.
    public static let maxSequence = UInt16((1 << sequenceBits) - 1)
    /// The largest millisecond count since the custom epoch.
    public static let maxMilliseconds: UInt64 = (1 << (64 - nodeBits - sequenceBits)) - 1

    /// Assembles an id; parts are masked to their widths.
    public static func make(milliseconds: UInt64, node: UInt16, sequence: UInt16) -> UInt64 {
        (milliseconds & maxMilliseconds) << (nodeBits + sequenceBits)
            | UInt64(node & maxNodeID) << sequenceBits
            | UInt64(sequence & maxSequence)
    }

    /// When the id was made, in ms since the Unix epoch.
    public static func timestampMs(of id: UInt64) -> Int64 {
        Int64(id >> (nodeBits + sequenceBits)) + epochMs
    }

    /// The node that made the id.
    public static func nodeID(of id: UInt64) -> UInt16 {
        UInt16(truncatingIfNeeded: id >> sequenceBits) & maxNodeID
    }

    /// The id's sequence within its millisecond.
    public static func sequence(of id: UInt64) -> UInt16 {
        UInt16(truncatingIfNeeded: id) & maxSequence
    }
}

/// Makes strictly increasing ``MessageID``s for one node. Pure: the clock is passed in.
///
/// If the clock steps back, or 4,096 ids were made within one millisecond, the generator
/// borrows the next millisecond instead of waiting or repeating: ids run a little ahead of
/// the clock until it catches up, and never go backwards.
public struct MessageIDGenerator: Sendable {
    /// This node's id, 0...1023.
    public let nodeID: UInt16
    private var milliseconds: UInt64
    private var sequence: UInt16

    /// A generator for `nodeID` whose ids are all greater than `lastID` (e.g. the newest id
    /// stored before a restart, whichever node made it).
    public init(nodeID: UInt16, after lastID: UInt64 = 0) {
        precondition(nodeID <= MessageID.maxNodeID, "node id must be in 0...1023")
        self.nodeID = nodeID
        milliseconds = lastID >> (MessageID.nodeBits + MessageID.sequenceBits)
        sequence = MessageID.maxSequence // the next id in that millisecond borrows the next one
    }

    /// The next id at `nowMs` (ms since the Unix epoch, on the node's wall clock).
    public mutating func next(nowMs: Int64) -> UInt64 {
        let clock = UInt64(clamping: nowMs.subtractingSaturated(MessageID.epochMs))
        let now = min(clock, MessageID.maxMilliseconds)
        if now > milliseconds {
            milliseconds = now
            sequence = 0
        } else if sequence < MessageID.maxSequence {
            sequence += 1
        } else {
            precondition(milliseconds < MessageID.maxMilliseconds, "message id milliseconds exhausted (year 2163)")
            milliseconds += 1
            sequence = 0
        }
        return MessageID.make(milliseconds: milliseconds, node: nodeID, sequence: sequence)
    }

    /// Makes every later id greater than `id` (one seen from another node, or the newest
    /// of a room that refused a smaller one): at `id`'s millisecond or later, the next id
    /// borrows the millisecond after it. An id more than `maxAheadMs` ahead of `nowMs` is
    /// ignored (returns false): ids come from Valkey, and a garbled one must not push this
    /// node's ids years ahead, or to the end of the id space.
    @discardableResult
    public mutating func skip(past id: UInt64, nowMs: Int64) -> Bool {
        let idMilliseconds = id >> (MessageID.nodeBits + MessageID.sequenceBits)
        let clock = UInt64(clamping: nowMs.subtractingSaturated(MessageID.epochMs))
        guard idMilliseconds <= clock.addingReportingOverflow(Self.maxAheadMs).partialValue,
              idMilliseconds < MessageID.maxMilliseconds else { return false }
        guard idMilliseconds >= milliseconds else { return true }
        milliseconds = idMilliseconds
        sequence = MessageID.maxSequence
        return true
    }

    /// How far ahead of the clock an id may be and still be skipped past (one hour: clocks
    /// of nodes are far closer than that).
    public static let maxAheadMs: UInt64 = 3_600_000
}
