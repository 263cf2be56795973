import Actors

extension ClientCommand {
    /// The priority class of what the command produces (DESIGN.md): a DM is CRITICAL, a
    /// room message HIGH, typing, read receipts and presence LOW, everything else
    /// (join, leave, edit, history, chats) NORMAL. `/metrics` counts received commands by it.
    public var priority: MessagePriority {
        switch self {
        case .dm: return .critical
        case .send: return .high
        case .typing, .read, .presence: return .low
        case .join, .leave, .edit, .history, .chats: return .normal
        }
    }
}
