/// What one node tells the others on a room's or a user's channel.
///
/// Room channels (`room.{R}`) carry room messages, typing, read receipts and edits; user
/// channels (`user.{U}`) carry DMs (one copy per channel, `target` naming the user whose
/// connections it is for), presence changes of U's sessions on one node, and the rate
/// tokens U spent on one node.
public enum CrossNodeEvent: Sendable, Hashable {
    /// A room message (its `chat` is `.room`).
    case roomMessage(ChatMessage)
    /// A user typing in a room.
    case typing(room: UInt32, user: UInt32, ts: Int64)
    /// A read receipt.
    case read(room: UInt32, user: UInt32, id: UInt64)
    /// An edit of a room message.
    case edited(room: UInt32, id: UInt64, text: String, ets: Int64)
    /// A DM from `from` to `to`, for the connections of `target` (one of the two).
    case directMessage(target: UInt32, from: UInt32, to: UInt32, id: UInt64, ts: Int64, text: String)
    /// `user` has (online) or no longer has sessions on node `node`; `seq` orders the
    /// changes of one node's instance.
    case presence(user: UInt32, node: UInt16, seq: UInt64, online: Bool)
    /// `user` spent `tokens` of their rate budget on the sending node.
    case rateSpent(user: UInt32, tokens: UInt32)
    /// The sending node has subscribers of `room` (sent when the room starts there, and in
    /// answer to another node's): rooms with subscribers on several nodes keep their
    /// order window on before the first message crosses.
    case roomInterest(room: UInt32)

    /// The kind byte of the payload.
    var kind: UInt8 {
        switch self {
        case .roomMessage: return 1
        case .typing: return 2
        case .read: return 3
        case .edited: return 4
        case .directMessage: return 5
        case .presence: return 6
        case .rateSpent: return 7
        case .roomInterest: return 8
        }
    }
}

/// The binary payload of a ``CrossNodeEvent``, big-endian:
///
/// ```
/// [version = 2][kind:1][sender instance:8] body
/// kind 1 room message  [room:4][id:8][from:4][ts:8][text UTF-8 ...]
/// kind 2 typing        [room:4][user:4][ts:8]
/// kind 3 read          [room:4][user:4][id:8]
/// kind 4 edited        [room:4][id:8][ets:8][text ...]
/// kind 5 DM            [target:4][from:4][to:4][id:8][ts:8][text ...]
/// kind 6 presence      [user:4][node:2][seq:8][online:1]
/// kind 7 rate spent    [user:4][tokens:4]
/// kind 8 room interest [room:4]
/// ```
///
/// The sender instance (random per process) lets a node skip its own publications.
/// Decoding is total: any byte string gives an event or nil, never a trap.
public enum CrossNodeMessage {
    /// The payload version.
    static let version: UInt8 = 2

    /// Encodes `event` from `instance`.
    public static func encode(instance: UInt64, _ event: CrossNodeEvent) -> [UInt8] {
        var writer = ByteWriter(capacity: 48)
        writer.bytes.append(version)
        writer.bytes.append(event.kind)
        writer.put(instance, 8)
        switch event {
        case .roomMessage(let message):
            guard case .room(let room) = message.chat else { preconditionFailure("a room message has a room") }
            writer.put(UInt64(room), 4); writer.put(message.id, 8); writer.put(UInt64(message.from), 4)
            writer.put(UInt64(bitPattern: message.ts), 8); writer.bytes.append(contentsOf: message.text.utf8)
        case .typing(let room, let user, let ts):
            writer.put(UInt64(room), 4); writer.put(UInt64(user), 4); writer.put(UInt64(bitPattern: ts), 8)
        case .read(let room, let user, let id):
            writer.put(UInt64(room), 4); writer.put(UInt64(user), 4); writer.put(id, 8)
        case .edited(let room, let id, let text, let ets):
            writer.put(UInt64(room), 4); writer.put(id, 8); writer.put(UInt64(bitPattern: ets), 8)
            writer.bytes.append(contentsOf: text.utf8)
        case .directMessage(let target, let from, let to, let id, let ts, let text):
            writer.put(UInt64(target), 4); writer.put(UInt64(from), 4); writer.put(UInt64(to), 4)
            writer.put(id, 8); writer.put(UInt64(bitPattern: ts), 8); writer.bytes.append(contentsOf: text.utf8)
        case .presence(let user, let node, let seq, let online):
            writer.put(UInt64(user), 4); writer.put(UInt64(node), 2); writer.put(seq, 8); writer.bytes.append(online ? 1 : 0)
        case .rateSpent(let user, let tokens):
            writer.put(UInt64(user), 4); writer.put(UInt64(tokens), 4)
        case .roomInterest(let room):
            writer.put(UInt64(room), 4)
        }
        return writer.bytes
    }

    /// The sender instance of a payload, from its header alone (nil when the header is
    /// malformed): how a node passes over its own publications without decoding them.
    public static func sender(of bytes: [UInt8]) -> UInt64? {
        var reader = ByteReader(bytes)
        guard reader.u8() == version, reader.u8() != nil else { return nil }
        return reader.u64()
    }

    /// Decodes a payload: the sender's instance and the event, or nil for anything
    /// malformed (wrong version, unknown kind, short body, trailing bytes where the kind has
    /// no text, text that is not UTF-8).
    public static func decode(_ bytes: [UInt8]) -> (instance: UInt64, event: CrossNodeEvent)? {
        var reader = ByteReader(bytes)
        guard reader.u8() == version, let kind = reader.u8(), let instance = reader.u64() else { return nil }
        let event: CrossNodeEvent?
        switch kind {
        case 1:
            guard let room = reader.u32(), let id = reader.u64(), let from = reader.u32(), let ts = reader.i64(),
                  let text = reader.restText() else { return nil }
            event = .roomMessage(ChatMessage(chat: .room(room), id: id, from: from, ts: ts, text: text))
        case 2:
            guard let room = reader.u32(), let user = reader.u32(), let ts = reader.i64() else { return nil }
            event = .typing(room: room, user: user, ts: ts)
        case 3:
            guard let room = reader.u32(), let user = reader.u32(), let id = reader.u64() else { return nil }
            event = .read(room: room, user: user, id: id)
        case 4:
            guard let room = reader.u32(), let id = reader.u64(), let ets = reader.i64(), let text = reader.restText() else { return nil }
            event = .edited(room: room, id: id, text: text, ets: ets)
        case 5:
            guard let target = reader.u32(), let from = reader.u32(), let to = reader.u32(), let id = reader.u64(),
                  let ts = reader.i64(), let text = reader.restText(), target == from || target == to else { return nil }
            event = .directMessage(target: target, from: from, to: to, id: id, ts: ts, text: text)
        case 6:
            guard let user = reader.u32(), let node = reader.read(2), let seq = reader.u64(), let online = reader.u8(),
                  online <= 1 else { return nil }
            event = .presence(user: user, node: UInt16(truncatingIfNeeded: node), seq: seq, online: online == 1)
        case 7:
            guard let user = reader.u32(), let tokens = reader.u32() else { return nil }
            event = .rateSpent(user: user, tokens: tokens)
        case 8:
            guard let room = reader.u32() else { return nil }
            event = .roomInterest(room: room)
        default:
            return nil
        }
        guard let event, kind == 1 || kind == 4 || kind == 5 || reader.isAtEnd else { return nil }
        return (instance, event)
    }
}

/// Big-endian writes into a byte array.
struct ByteWriter {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends the low `count` bytes of `value`, most significant first.
    mutating func put(_ value: UInt64, _ count: Int) {
        for index in stride(from: count - 1, through: 0, by: -1) {
            bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))))
        }
    }
}

/// Bounds-checked big-endian reads: every read past the end is nil.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    /// `count` (at most 8) bytes as an unsigned integer.
    mutating func read(_ count: Int) -> UInt64? {
        guard count <= 8, bytes.count - offset >= count else { return nil }
        var value: UInt64 = 0
        for index in offset..<(offset + count) { value = value << 8 | UInt64(bytes[index]) }
        offset += count
        return value
    }

    mutating func u8() -> UInt8? { read(1).map { UInt8(truncatingIfNeeded: $0) } }
    mutating func u32() -> UInt32? { read(4).map { UInt32(truncatingIfNeeded: $0) } }
    mutating func u64() -> UInt64? { read(8) }
    mutating func i64() -> Int64? { read(8).map { Int64(bitPattern: $0) } }

    /// The rest as UTF-8 text (nil when invalid).
    mutating func restText() -> String? {
        defer { offset = bytes.count }
        return String(validating: bytes[offset...], as: UTF8.self)
    }
}
