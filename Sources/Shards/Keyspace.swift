/// Names of every Valkey key and pub/sub channel, exactly as DESIGN.md's table has them.
///
/// | builder                        | key                     | type                        |
/// |--------------------------------|-------------------------|-----------------------------|
/// | `roomMessages(R)`              | `room:{R}:msgs`         | sorted set, see below       |
/// | `roomMembers(R)`               | `room:{R}:members`      | set                         |
/// | `roomReads(R)`                 | `room:{R}:reads`        | hash user -> msg id         |
/// | `roomEdits(R, message: id)`    | `room:{R}:edits:<id>`   | list of previous texts      |
/// | `roomEpoch(R)`                 | `room:{R}:epoch`        | string: the history epoch   |
/// | `typing(room: R, user: U)`     | `typing:{R}:<U>`        | string, 5 s TTL             |
/// | `session(U)`                   | `sess:{U}`              | hash node id -> inst:seq    |
/// | `userRooms(U)`                 | `user:{U}:rooms`        | set                         |
/// | `userDirectMessages(U)`        | `user:{U}:dms`          | set of DM peers             |
/// | `directMessages(A, B)`         | `dm:{A:B}:msgs`         | sorted set, A < B           |
/// | `directMessageReads(A, B)`     | `dm:{A:B}:reads`        | hash user -> msg id         |
/// | `directMessageEdits(A, B, id)` | `dm:{A:B}:edits:<id>`   | list of previous texts      |
/// | `directMessageEpoch(A, B)`     | `dm:{A:B}:epoch`        | string: the history epoch   |
/// | `nodeHeartbeat(N)`             | `node:<N>`              | string with TTL             |
/// | `roomChannel(R)`               | `room.{R}`              | channel                     |
/// | `userChannel(U)`               | `user.{U}`              | channel                     |
///
/// Histories are sorted sets with every score 0 and members that start with the 8-byte
/// big-endian message id (`ZRANGEBYLEX` orders them by id; scores are doubles, exact only
/// to 2^53, ids are 64-bit): see `ValkeyChatStore` in Rooms for the member's layout.
///
/// The room or user id sits in a hash tag, so one room's keys share a cluster slot
/// (`HashSlot`). Ids are decimal without leading zeros. Keys come back as bytes, built
/// with one allocation and no formatting, ready for `RESPEncoder`; `text(_:)` makes a
/// `String` of one where needed (logs never print keys with contents, only these names).
public enum Keyspace {
    /// `room:{R}:msgs`: the room's history.
    public static func roomMessages(_ room: UInt32) -> [UInt8] { build("room:{", UInt64(room), "}:msgs") }

    /// `room:{R}:members`: the room's members.
    public static func roomMembers(_ room: UInt32) -> [UInt8] { build("room:{", UInt64(room), "}:members") }

    /// `room:{R}:reads`: read positions, user id -> message id.
    public static func roomReads(_ room: UInt32) -> [UInt8] { build("room:{", UInt64(room), "}:reads") }

    /// `room:{R}:edits:<id>`: previous texts of message `id`.
    public static func roomEdits(_ room: UInt32, message: UInt64) -> [UInt8] {
        var key = build("room:{", UInt64(room), "}:edits:", extra: 20)
        ASCIIDecimal.append(message, to: &key)
        return key
    }

    /// `room:{R}:epoch`: the epoch of the room's history, changed when history is lost, so
    /// that a client joining with `since` and an old epoch is told `gap: true`.
    public static func roomEpoch(_ room: UInt32) -> [UInt8] { build("room:{", UInt64(room), "}:epoch") }

    /// `typing:{R}:<U>`: user U is typing in room R (short TTL).
    public static func typing(room: UInt32, user: UInt32) -> [UInt8] {
        var key = build("typing:{", UInt64(room), "}:", extra: 10)
        ASCIIDecimal.append(UInt64(user), to: &key)
        return key
    }

    /// `sess:{U}`: the user's sessions, one field per node that holds some: node id ->
    /// `"<instance>:<seq>"` (the node's process instance, the change's sequence number).
    /// Counts while `node:<N>` holds that instance (presence across nodes).
    public static func session(_ user: UInt32) -> [UInt8] { build("sess:{", UInt64(user), "}") }

    /// `user:{U}:rooms`: the rooms the user belongs to.
    public static func userRooms(_ user: UInt32) -> [UInt8] { build("user:{", UInt64(user), "}:rooms") }

    /// `user:{U}:dms`: the users U has DM conversations with (for `chats`).
    public static func userDirectMessages(_ user: UInt32) -> [UInt8] { build("user:{", UInt64(user), "}:dms") }

    /// `dm:{A:B}:msgs` with A the smaller id: the DM history of two users, whatever the
    /// order of the arguments.
    public static func directMessages(_ first: UInt32, _ second: UInt32) -> [UInt8] {
        directMessageKey(first, second, "}:msgs")
    }

    /// `dm:{A:B}:reads`: read positions in the DM of two users, user id -> message id.
    public static func directMessageReads(_ first: UInt32, _ second: UInt32) -> [UInt8] {
        directMessageKey(first, second, "}:reads")
    }

    /// `dm:{A:B}:edits:<id>`: previous texts of DM message `id`.
    public static func directMessageEdits(_ first: UInt32, _ second: UInt32, message: UInt64) -> [UInt8] {
        var key = directMessageKey(first, second, "}:edits:", extra: 20)
        ASCIIDecimal.append(message, to: &key)
        return key
    }

    /// `dm:{A:B}:epoch`: the epoch of the DM history of two users (see `roomEpoch`).
    public static func directMessageEpoch(_ first: UInt32, _ second: UInt32) -> [UInt8] {
        directMessageKey(first, second, "}:epoch")
    }

    /// `node:<N>`: the heartbeat of node N (its `NODE_ID`, used as given): the holder's
    /// instance id, with a TTL refreshed by its heartbeat (NodeIdentity).
    public static func nodeHeartbeat(_ node: String) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(5 + node.utf8.count)
        key.append(contentsOf: "node:".utf8)
        key.append(contentsOf: node.utf8)
        return key
    }

    /// `room.{R}`: the channel of a room's live events between nodes.
    public static func roomChannel(_ room: UInt32) -> [UInt8] { build("room.{", UInt64(room), "}") }

    /// `user.{U}`: the channel of a user's DMs and presence changes between nodes.
    public static func userChannel(_ user: UInt32) -> [UInt8] { build("user.{", UInt64(user), "}") }

    /// A key or channel as text (for logs and tests; keys are ASCII).
    public static func text(_ key: [UInt8]) -> String { String(decoding: key, as: UTF8.self) }

    /// `dm:{A:B` + `suffix` with A the smaller id, plus `extra` bytes of room.
    private static func directMessageKey(_ first: UInt32, _ second: UInt32, _ suffix: StaticString, extra: Int = 0) -> [UInt8] {
        let (low, high) = first <= second ? (first, second) : (second, first)
        var key = build("dm:{", UInt64(low), ":", extra: 10 + suffix.utf8CodeUnitCount + extra)
        ASCIIDecimal.append(UInt64(high), to: &key)
        suffix.withUTF8Buffer { key.append(contentsOf: $0) }
        return key
    }

    /// `prefix` + decimal `id` + `suffix` in one exactly-sized allocation (plus `extra`
    /// bytes of room for the caller to append).
    private static func build(_ prefix: StaticString, _ id: UInt64, _ suffix: StaticString, extra: Int = 0) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(prefix.utf8CodeUnitCount + 20 + suffix.utf8CodeUnitCount + extra)
        prefix.withUTF8Buffer { key.append(contentsOf: $0) }
        ASCIIDecimal.append(id, to: &key)
        suffix.withUTF8Buffer { key.append(contentsOf: $0) }
        return key
    }
}

// MARK: - Channels

extension Keyspace {
    /// A pub/sub channel of ours, as parsed from a message's channel name.
    public enum Channel: Sendable, Hashable {
        /// `room.{R}`.
        case room(UInt32)
        /// `user.{U}`.
        case user(UInt32)

        /// The channel name's bytes.
        public var bytes: [UInt8] {
            switch self {
            case .room(let room): return Keyspace.roomChannel(room)
            case .user(let user): return Keyspace.userChannel(user)
            }
        }

        /// The shard the channel is published on (the shard of its room or user).
        public var shardKey: ShardKey {
            switch self {
            case .room(let room): return .room(room)
            case .user(let user): return .user(user)
            }
        }

        /// Parses `room.{R}` or `user.{U}` (canonical decimal ids only); nil for anything
        /// else, never a trap, whatever bytes Valkey delivered.
        public init?(_ name: [UInt8]) {
            let isRoom = name.starts(with: "room.{".utf8), isUser = name.starts(with: "user.{".utf8)
            guard isRoom || isUser, name.count > 7, name.last == UInt8(ascii: "}") else { return nil }
            let digits = name[6..<(name.count - 1)]
            guard let id = ASCIIDecimal.parseUInt32(digits), digits.count == ASCIIDecimal.digitCount(UInt64(id)) else {
                return nil
            }
            self = isRoom ? .room(id) : .user(id)
        }
    }
}
