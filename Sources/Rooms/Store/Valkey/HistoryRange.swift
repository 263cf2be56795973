/// `ZRANGEBYLEX` bounds over history members (`HistoryMember`: 8-byte id, then payload).
///
/// Lex ranges compare whole members, and every member is longer than its 8-byte id, so
/// the bounds are chosen with care:
///
/// ```
/// ids below B     max = "(" + B8        members of id B are > B8: excluded; of id < B: included
/// ids above A     min = "[" + (A+1)8    "(" + A8 would still include A8+payload
/// id exactly I    min = "[" + I8,  max = "(" + (I+1)8   (or "+" when I is UInt64.max)
/// ```
///
/// Bounds past the last id (`UInt64.max + 1`) do not exist: those cases are nil or `+`.
enum HistoryRange {
    /// The lowest member (`-`) and the highest (`+`).
    static let lowest: [UInt8] = [UInt8(ascii: "-")]
    /// See `lowest`.
    static let highest: [UInt8] = [UInt8(ascii: "+")]

    /// Exclusive upper bound: members with an id below `id`.
    static func below(_ id: UInt64) -> [UInt8] { bound(UInt8(ascii: "("), id) }

    /// Inclusive lower bound: members with an id above `id`; nil when no id is above it.
    static func above(_ id: UInt64) -> [UInt8]? {
        id == .max ? nil : bound(UInt8(ascii: "["), id + 1)
    }

    /// Inclusive lower bound: members with an id of at least `id`.
    static func atLeast(_ id: UInt64) -> [UInt8] { bound(UInt8(ascii: "["), id) }

    /// Upper bound: members with an id of at most `id`.
    static func atMost(_ id: UInt64) -> [UInt8] {
        id == .max ? highest : below(id + 1)
    }

    private static func bound(_ kind: UInt8, _ id: UInt64) -> [UInt8] {
        var bytes: [UInt8] = [kind]
        bytes.reserveCapacity(1 + HistoryMember.idSize)
        HistoryMember.appendBigEndian(id, bytes: HistoryMember.idSize, to: &bytes)
        return bytes
    }
}
