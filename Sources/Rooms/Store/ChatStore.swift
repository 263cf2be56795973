/// Settings every store follows.
public struct ChatStoreConfiguration: Sendable {
    /// Messages kept per conversation (`HISTORY_MAX`).
    public var historyMax = 1000
    /// Seconds a conversation's history lives after its last message (`HISTORY_TTL`).
    public var historyTTLSeconds = 3600

    /// The defaults.
    public init(historyMax: Int = 1000, historyTTLSeconds: Int = 3600) {
        self.historyMax = historyMax
        self.historyTTLSeconds = historyTTLSeconds
    }
}

/// Where conversations live: messages, members, read positions, edit histories, epochs.
///
/// Loop-bound: created and called on the node's event loop thread; every completion is
/// called on that thread too, exactly once, possibly before the call returns (the
/// in-memory store) or in a later loop round (Valkey). Two implementations pass the same
/// contract tests: `MemoryChatStore` and `ValkeyChatStore`.
///
/// History is ordered by message id. `epoch` names one incarnation of a conversation's
/// history: it changes when the history is lost (expired, or a Valkey shard restarted
/// empty), which is how clients resuming with `since` learn of a gap.
public protocol ChatStore: AnyObject {
    /// A completion on the loop thread.
    typealias Completion<Value> = (Result<Value, StoreError>) -> Void

    /// Stores a message (idempotent by id), trims the history to `historyMax` and renews
    /// its TTL.
    func append(_ message: StoredMessage, to chat: ChatKey, completion: @escaping Completion<Void>)

    /// Whether `appendRoomMessage` publishes, and refuses, in the same atomic step as the
    /// write; a store without other nodes (memory) does neither.
    var publishesWithAppend: Bool { get }

    /// Stores a room message like `append` only if its id is above every id the room
    /// holds, and in the same atomic step publishes `publication` to other nodes; else
    /// nothing is stored or published (`refused`).
    func appendRoomMessage(_ message: StoredMessage, room: UInt32, publication: RoomPublication,
                           completion: @escaping Completion<RoomAppendOutcome>)

    /// Up to `limit` newest messages with an id below `before` (all when nil), oldest first.
    func page(_ chat: ChatKey, before: UInt64?, limit: Int, completion: @escaping Completion<[StoredMessage]>)

    /// Every kept message with an id above `after`, oldest first, and whether some were
    /// lost: `gap` when the history is full and its oldest kept message is newer than the
    /// first one after `after` could be (older ones were trimmed).
    func since(_ chat: ChatKey, after: UInt64, completion: @escaping Completion<SinceResult>)

    /// The conversation's current epoch, created when there is none.
    func epoch(_ chat: ChatKey, completion: @escaping Completion<String>)

    /// One message by id, nil when absent.
    func message(_ chat: ChatKey, id: UInt64, completion: @escaping Completion<StoredMessage?>)

    /// Replaces a message's text (keeping the previous text in its edit history) and sets
    /// `edited`; returns the updated message, nil when there is no such message.
    func edit(_ chat: ChatKey, id: UInt64, text: String, at editedAt: Int64,
              completion: @escaping Completion<StoredMessage?>)

    /// Previous texts of an edited message, newest first.
    func editHistory(_ chat: ChatKey, id: UInt64, completion: @escaping Completion<[String]>)

    /// Adds a member to a room (and the room to the user's list); returns the member count.
    func join(room: UInt32, user: UInt32, completion: @escaping Completion<Int>)

    /// Removes a member from a room (and the room from the user's list); returns the count.
    func leave(room: UInt32, user: UInt32, completion: @escaping Completion<Int>)

    /// Members of a room.
    func memberCount(room: UInt32, completion: @escaping Completion<Int>)

    /// Whether `user` is a member of `room`.
    func isMember(room: UInt32, user: UInt32, completion: @escaping Completion<Bool>)

    /// Records that two users have a DM conversation (for both users' chat lists).
    func linkDM(_ a: UInt32, _ b: UInt32, completion: @escaping Completion<Void>)

    /// A user's rooms and DM peers.
    func chats(of user: UInt32, completion: @escaping Completion<UserChats>)

    /// Sets a user's read position (only moves forward).
    func setRead(_ chat: ChatKey, user: UInt32, id: UInt64, completion: @escaping Completion<Void>)

    /// A user's read position (0 before the first `read`).
    func readPosition(_ chat: ChatKey, user: UInt32, completion: @escaping Completion<UInt64>)
}

extension ChatStore {
    public var publishesWithAppend: Bool { false }

    /// `append`, with nothing published and nothing refused.
    public func appendRoomMessage(_ message: StoredMessage, room: UInt32, publication: RoomPublication,
                                  completion: @escaping Completion<RoomAppendOutcome>) {
        append(message, to: .room(room)) { result in completion(result.map { .stored(reached: 0) }) }
    }
}

/// A room message's publication to the other nodes, sent by the store with the write.
public struct RoomPublication: Sendable {
    /// `PUBLISH`, or `SPUBLISH` in a Valkey Cluster.
    public let command: String
    /// The room's channel (`room.{R}`), on the server of the room's keys.
    public let channel: [UInt8]
    /// The cross-node payload.
    public let payload: [UInt8]

    /// A publication of `payload` on `channel` with `command`.
    public init(command: String, channel: [UInt8], payload: [UInt8]) {
        self.command = command
        self.channel = channel
        self.payload = payload
    }
}

/// What `ChatStore.appendRoomMessage` did.
public enum RoomAppendOutcome: Sendable, Equatable {
    /// Stored as the room's newest message and published to `reached` subscribers.
    case stored(reached: Int)
    /// Already stored (a batch sent again): nothing stored or published again.
    case duplicate
    /// Refused: the room holds `newest`, which is not below the message's id.
    case refused(newest: UInt64)
}
