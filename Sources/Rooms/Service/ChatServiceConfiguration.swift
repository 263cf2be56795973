/// Settings of the chat service.
public struct ChatServiceConfiguration: Sendable {
    /// This node's id (0...1023), part of every message id.
    public var nodeID: UInt16 = 0
    /// Largest message text in bytes of UTF-8.
    public var maxTextBytes = 4096
    /// Messages per minute per user at the normal level.
    public var rateLimitPerMinute = 100
    /// Messages a `joined` carries without `since`.
    public var joinHistory = 50
    /// Every watched user's `sess:{U}` is read again within this long (presence events
    /// lost while a subscriber link reconnected are corrected by then).
    public var presenceRefreshMs: Int64 = 30_000
    /// A room with no subscribers is stopped after this long.
    public var roomIdleMs: Int64 = 60_000

    /// The defaults above.
    public init() {}
}
