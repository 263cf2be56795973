/// Connection tiers (DESIGN.md): what a connection may hold in its outbound queue, by how
/// the user uses it.
///
/// | tier | who | budget |
/// |---|---|---|
/// | premium | token `tier: premium` | 128 KiB |
/// | active | sent something within 5 minutes | 64 KiB |
/// | lurker | connected, not sending recently | 16 KiB |
/// | idle | nothing at all for 5 minutes | 4 KiB, no LOW events |
public enum ConnectionTier: String, Sendable, CaseIterable, Codable {
    case premium, active, lurker, idle

    /// Outbound byte budget of the tier.
    public var budget: Int {
        switch self {
        case .premium: return 128 * 1024
        case .active: return 64 * 1024
        case .lurker: return 16 * 1024
        case .idle: return 4 * 1024
        }
    }

    /// How long "recently" is for active and idle.
    public static let windowMs: Int64 = 5 * 60 * 1000

    /// The tier of a connection from its premium flag and its last send and last activity.
    public static func of(premium: Bool, lastSentMs: Int64?, lastActivityMs: Int64, nowMs: Int64) -> ConnectionTier {
        if premium { return .premium }
        if let lastSentMs, nowMs - lastSentMs < windowMs { return .active }
        if nowMs - lastActivityMs >= windowMs { return .idle }
        return .lurker
    }
}
