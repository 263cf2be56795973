/// A conversation as the store sees it: a room, or the DM pair of two users (lower id
/// first, so both sides name it the same way).
public enum ChatKey: Hashable, Sendable, CustomStringConvertible {
    case room(UInt32)
    case dm(UInt32, UInt32)

    /// The DM conversation of two users, whichever order they are given in.
    public static func dm(between a: UInt32, and b: UInt32) -> ChatKey {
        a <= b ? .dm(a, b) : .dm(b, a)
    }

    /// The message as `viewer` sees it (`room`, or `dm` with the other user's id).
    public func chat(seenBy viewer: UInt32) -> ChatMessage.Chat {
        switch self {
        case .room(let room): return .room(room)
        case .dm(let a, let b): return .dm(peer: viewer == a ? b : a)
        }
    }

    public var description: String {
        switch self {
        case .room(let room): return "room \(room)"
        case .dm(let a, let b): return "dm \(a):\(b)"
        }
    }
}

/// A message as stored: everything but the viewer-relative chat field.
public struct StoredMessage: Sendable, Hashable {
    /// Time-ordered id (see `MessageID`).
    public var id: UInt64
    /// Author.
    public var from: UInt32
    /// Milliseconds since the epoch.
    public var ts: Int64
    /// Current text.
    public var text: String
    /// Time of the last edit, if any.
    public var edited: Int64?

    /// A stored message.
    public init(id: UInt64, from: UInt32, ts: Int64, text: String, edited: Int64? = nil) {
        self.id = id
        self.from = from
        self.ts = ts
        self.text = text
        self.edited = edited
    }

    /// The message as `viewer` sees it in `chat`.
    public func message(in chat: ChatKey, seenBy viewer: UInt32) -> ChatMessage {
        ChatMessage(chat: chat.chat(seenBy: viewer), id: id, from: from, ts: ts, text: text, edited: edited)
    }
}

/// Why the store could not do something. Clients see `unavailable` (retry with the same cid).
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Storage is not reachable (shard down, outbox full).
    case unavailable(String)
    /// Stored data could not be read (a corrupt record); the record is skipped.
    case corrupt(String)

    public var description: String {
        switch self {
        case .unavailable(let why): return "storage unavailable: \(why)"
        case .corrupt(let why): return "corrupt stored data: \(why)"
        }
    }
}

/// What `since` found: the messages after a given id, and whether some were lost.
public struct SinceResult: Sendable, Equatable {
    /// Messages after the given id, oldest first.
    public var messages: [StoredMessage]
    /// True when more were missed than the history keeps (trimmed or expired ones).
    public var gap: Bool

    /// A result.
    public init(messages: [StoredMessage], gap: Bool) {
        self.messages = messages
        self.gap = gap
    }
}

/// The conversations a user belongs to.
public struct UserChats: Sendable, Equatable {
    /// Rooms the user is a member of.
    public var rooms: [UInt32]
    /// Users the user has DM conversations with.
    public var dmPeers: [UInt32]

    /// A listing.
    public init(rooms: [UInt32], dmPeers: [UInt32]) {
        self.rooms = rooms
        self.dmPeers = dmPeers
    }
}
