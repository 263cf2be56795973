import Gateway

/// How the chat service reaches other nodes: publish a room's messages on its channel,
/// and subscribe to the channels of rooms with local subscribers. Set by the node when
/// Valkey is used; all closures run on the loop thread.
public struct CrossNodeLink: Sendable {
    /// Publishes `payload` on `room`'s channel.
    public var publish: @Sendable (_ room: UInt32, _ payload: [UInt8]) -> Void
    /// Starts receiving `room`'s channel.
    public var subscribe: @Sendable (_ room: UInt32) -> Void
    /// Stops receiving `room`'s channel.
    public var unsubscribe: @Sendable (_ room: UInt32) -> Void

    /// A link from its three operations.
    public init(publish: @escaping @Sendable (UInt32, [UInt8]) -> Void,
                subscribe: @escaping @Sendable (UInt32) -> Void,
                unsubscribe: @escaping @Sendable (UInt32) -> Void) {
        self.publish = publish
        self.subscribe = subscribe
        self.unsubscribe = unsubscribe
    }
}

/// The payload of a room message published for other nodes, big-endian:
/// `[version 1][sender instance:8][room:4][id:8][from:4][ts:8][text UTF-8]`. The sender
/// instance (random per process) lets a node skip its own publications.
public enum CrossNodeMessage {
    static let headerSize = 1 + 8 + 4 + 8 + 4 + 8

    /// Encodes a room message.
    public static func encode(instance: UInt64, room: UInt32, message: ChatMessage) -> [UInt8] {
        var bytes: [UInt8] = [1]
        bytes.reserveCapacity(headerSize + message.text.utf8.count)
        append(instance, to: &bytes)
        append(UInt64(room) << 32, to: &bytes, count: 4)
        append(message.id, to: &bytes)
        append(UInt64(message.from) << 32, to: &bytes, count: 4)
        append(UInt64(bitPattern: message.ts), to: &bytes)
        bytes.append(contentsOf: message.text.utf8)
        return bytes
    }

    /// Decodes a payload; nil for anything malformed (never traps).
    public static func decode(_ bytes: [UInt8]) -> (instance: UInt64, room: UInt32, message: ChatMessage)? {
        guard bytes.count >= headerSize, bytes[0] == 1 else { return nil }
        let instance = read(bytes, 1, 8)
        let room = UInt32(truncatingIfNeeded: read(bytes, 9, 4))
        let id = read(bytes, 13, 8)
        let from = UInt32(truncatingIfNeeded: read(bytes, 21, 4))
        let ts = Int64(bitPattern: read(bytes, 25, 8))
        guard let text = String(validating: bytes[headerSize...], as: UTF8.self) else { return nil }
        return (instance, room, ChatMessage(chat: .room(room), id: id, from: from, ts: ts, text: text))
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8], count: Int = 8) {
        for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64(index)))) }
    }

    private static func read(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<(offset + count) { value = value << 8 | UInt64(bytes[index]) }
        return value
    }
}
