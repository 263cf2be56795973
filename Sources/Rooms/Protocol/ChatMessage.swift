/// One stored chat message, as the `msg` event and the history, `joined` and `chats` replies
/// carry it.
public struct ChatMessage: Sendable, Hashable {
    /// Where a message lives.
    public enum Chat: Sendable, Hashable {
        /// A room, by id.
        case room(UInt32)
        /// A direct conversation, named by the peer's user id **as seen by the receiver**:
        /// A's message to B reaches B with `.dm(peer: A)` and A's other connections with
        /// `.dm(peer: B)`, so a DM is encoded once per side.
        case dm(peer: UInt32)
    }

    /// The room or DM peer.
    public var chat: Chat
    /// The message id (time-ordered, see ``MessageID``).
    public var id: UInt64
    /// The author's user id.
    public var from: UInt32
    /// When it was sent, in milliseconds since the Unix epoch.
    public var ts: Int64
    /// The text (UTF-8; the decoders bound its size).
    public var text: String
    /// When it was last edited (ms since the Unix epoch), `nil` if never.
    public var edited: Int64?

    /// A message; `edited` defaults to never.
    public init(chat: Chat, id: UInt64, from: UInt32, ts: Int64, text: String, edited: Int64? = nil) {
        self.chat = chat
        self.id = id
        self.from = from
        self.ts = ts
        self.text = text
        self.edited = edited
    }
}

/// One entry of the `chats` reply: a room the user belongs to or a DM peer.
public struct ChatListEntry: Sendable, Hashable {
    /// The room, or the DM peer.
    public var chat: ChatMessage.Chat
    /// The newest message, `nil` when there is none (encoded as `null`).
    public var last: ChatMessage?
    /// Messages from others above the user's read position.
    public var unread: Int
    /// Whether the DM peer is online; not written for rooms.
    public var online: Bool

    /// An entry; `online` only matters for DM peers.
    public init(chat: ChatMessage.Chat, last: ChatMessage?, unread: Int, online: Bool = false) {
        self.chat = chat
        self.last = last
        self.unread = unread
        self.online = online
    }
}
