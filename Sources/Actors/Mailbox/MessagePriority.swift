/// The priority classes of DESIGN.md, lowest first.
///
/// CRITICAL (DMs, @mentions, admin broadcasts, supervision signals) is never dropped;
/// LOW (typing, presence, receipts) is dropped first when a queue is full.
public enum MessagePriority: Int, Sendable, Comparable, CaseIterable, Codable, CustomStringConvertible {
    case low = 0
    case normal = 1
    case high = 2
    case critical = 3

    public static func < (lhs: MessagePriority, rhs: MessagePriority) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .low: return "low"
        case .normal: return "normal"
        case .high: return "high"
        case .critical: return "critical"
        }
    }
}
