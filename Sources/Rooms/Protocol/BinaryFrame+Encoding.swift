// MARK: Node to client

extension BinaryFrame {
    /// A `msg` as a type-1 frame: `[message id:8][text]`, user = sender, timestamp in
    /// seconds. `nil` when the layout cannot carry it: DMs, rooms above 65535, or text over
    /// 65527 bytes. Those go to binary connections as JSON text frames.
    public static func message(_ message: ChatMessage) -> [UInt8]? {
        guard case .room(let room) = message.chat, let roomID = UInt16(exactly: room) else { return nil }
        let text = message.text.utf8
        guard 8 + text.count <= maxPayloadSize else { return nil }
        var bytes = header(.message, userID: message.from, roomID: roomID, timestamp: seconds(message.ts), payloadCount: 8 + text.count)
        bytes.appendBigEndian(message.id)
        bytes.append(contentsOf: text)
        return bytes
    }

    /// A `typing` as a type-2 frame with an empty payload; `nil` for rooms above 65535.
    public static func typing(room: UInt32, user: UInt32, timestampMs: Int64) -> [UInt8]? {
        guard let roomID = UInt16(exactly: room) else { return nil }
        return header(.typing, userID: user, roomID: roomID, timestamp: seconds(timestampMs), payloadCount: 0)
    }

    /// A `read` as a type-3 frame: `[message id:8]`, user = reader; `nil` for rooms above 65535.
    public static func read(room: UInt32, user: UInt32, id: UInt64, timestampMs: Int64) -> [UInt8]? {
        guard let roomID = UInt16(exactly: room) else { return nil }
        var bytes = header(.read, userID: user, roomID: roomID, timestamp: seconds(timestampMs), payloadCount: 8)
        bytes.appendBigEndian(id)
        return bytes
    }

    /// The `ack` of a binary send as a type-4 frame: `[message id:8][cid]`, user = the
    /// sender, timestamp = the message's `ts` in seconds; `nil` when it cannot be addressed
    /// (room above 65535) or the cid is over 255 bytes.
    public static func ack(room: UInt32, user: UInt32, id: UInt64, cid: String, timestampMs: Int64) -> [UInt8]? {
        guard let roomID = UInt16(exactly: room), cid.utf8.count <= Int(UInt8.max) else { return nil }
        var bytes = header(.ack, userID: user, roomID: roomID, timestamp: seconds(timestampMs), payloadCount: 8 + cid.utf8.count)
        bytes.appendBigEndian(id)
        bytes.append(contentsOf: cid.utf8)
        return bytes
    }

    /// Milliseconds since the epoch as the header's u32 seconds (clamped).
    static func seconds(_ milliseconds: Int64) -> UInt32 {
        UInt32(clamping: milliseconds / 1_000)
    }
}

// MARK: Client to node (load generator, tests, client libraries)

extension BinaryFrame {
    /// A client's send: `[cid_len:1][cid][text]`, user and timestamp zero. `nil` when the cid
    /// is over 255 bytes or the payload over 65535.
    public static func clientSend(room: UInt16, cid: String, text: String) -> [UInt8]? {
        let cidCount = cid.utf8.count
        let payloadCount = 1 + cidCount + text.utf8.count
        guard cidCount <= Int(UInt8.max), payloadCount <= maxPayloadSize else { return nil }
        var bytes = header(.message, userID: 0, roomID: room, timestamp: 0, payloadCount: payloadCount)
        bytes.append(UInt8(truncatingIfNeeded: cidCount))
        bytes.append(contentsOf: cid.utf8)
        bytes.append(contentsOf: text.utf8)
        return bytes
    }

    /// A client's typing indicator.
    public static func clientTyping(room: UInt16) -> [UInt8] {
        header(.typing, userID: 0, roomID: room, timestamp: 0, payloadCount: 0)
    }

    /// A client's read receipt up to message `id`.
    public static func clientRead(room: UInt16, id: UInt64) -> [UInt8] {
        var bytes = header(.read, userID: 0, roomID: room, timestamp: 0, payloadCount: 8)
        bytes.appendBigEndian(id)
        return bytes
    }
}
