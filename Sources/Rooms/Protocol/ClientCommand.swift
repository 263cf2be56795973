/// A command from a client, decoded from a JSON text frame (``ClientCommandDecoder``) or a
/// compact binary frame (``ClientCommandDecoder/decodeBinary(_:)``), so that room logic
/// never sees the wire format.
///
/// Exactly the client-to-node commands of the contract; every value has passed the field
/// rules (types, ranges, limits) listed in docs/protocol.md.
public enum ClientCommand: Sendable, Equatable {
    /// Join a room; with `since`, get only what came after that message id; `epoch` is the
    /// room incarnation the client last saw (a mismatch means `gap`).
    case join(room: UInt32, since: UInt64?, epoch: String?)
    /// Leave a room (unsubscribe and end the membership).
    case leave(room: UInt32)
    /// Post `text` to a room. `cid` is the client's id for dedupe: 1 to 64 Unicode scalars
    /// from JSON; empty only from a binary frame that sent none (no dedupe then).
    case send(room: UInt32, text: String, cid: String)
    /// A direct message to user `to`; `cid` as for ``send(room:text:cid:)``.
    case dm(to: UInt32, text: String, cid: String)
    /// The user is typing in `room`.
    case typing(room: UInt32)
    /// The user has read `room` up to message `id`.
    case read(room: UInt32, id: UInt64)
    /// Replace the text of the user's own message `id`.
    case edit(room: UInt32, id: UInt64, text: String)
    /// A page of history: `limit` messages (1...200, default 50) before message `before`
    /// (the newest page without it).
    case history(room: UInt32, before: UInt64?, limit: Int)
    /// Which of `users` (at most 500) are online; subscribes to their changes.
    case presence(users: [UInt32])
    /// The user's chat list.
    case chats
}

/// The field limits of the contract, shared by the JSON and binary decoders.
public enum ProtocolLimits {
    /// Default upper bound of a message's text, in UTF-8 bytes (configurable per decoder).
    public static let defaultMaxTextBytes = 4_096
    /// Upper bound of a `cid`, in Unicode scalars ("at most 64 chars").
    public static let maxCIDScalars = 64
    /// `history.limit` when the client gives none.
    public static let defaultHistoryLimit = 50
    /// Largest `history.limit`; above it is `bad_request` (not clamped).
    public static let maxHistoryLimit = 200
    /// Largest number of users in one `presence` query.
    public static let maxPresenceUsers = 500
}
