/// Encodes every node-to-client event of the contract as the bytes of one JSON text frame.
///
/// Each function writes straight into one byte array sized by a guess, with no `String`
/// building and no Foundation. A `msg` is encoded once per message and the bytes are shared
/// by every recipient (DMs: once per side, see ``ChatMessage/Chat/dm(peer:)``).
/// Message ids are written as decimal strings, timestamps as integers (ms).
public enum ServerEventEncoder {
    /// `{"t":"msg","room":1,"id":"9","from":2,"ts":1700000000000,"text":"hi"}` (`dm`
    /// instead of `room` for direct messages; `edited` when the message was edited).
    public static func msg(_ message: ChatMessage) -> [UInt8] {
        var writer = JSONWriter(capacity: messageCapacity(message))
        writeMessage(message, into: &writer)
        return writer.bytes
    }

    /// `{"t":"ack","cid":"c1","id":"9","ts":1700000000000}`: same `id` and `ts` as the `msg`.
    public static func ack(cid: String, id: UInt64, ts: Int64) -> [UInt8] {
        event("ack", capacity: 64 + cid.utf8.count) { writer in
            writer.field("cid", cid)
            writer.idField("id", id)
            writer.field("ts", ts)
        }
    }

    /// `{"t":"typing","room":1,"user":2}`.
    public static func typing(room: UInt32, user: UInt32) -> [UInt8] {
        event("typing", capacity: 48) { writer in
            writer.field("room", room)
            writer.field("user", user)
        }
    }

    /// `{"t":"read","room":1,"user":2,"id":"9"}`.
    public static func read(room: UInt32, user: UInt32, id: UInt64) -> [UInt8] {
        event("read", capacity: 72) { writer in
            writer.field("room", room)
            writer.field("user", user)
            writer.idField("id", id)
        }
    }

    /// `{"t":"edited","room":1,"id":"9","text":"new","ets":1700000000000}`.
    public static func edited(room: UInt32, id: UInt64, text: String, ets: Int64) -> [UInt8] {
        event("edited", capacity: 80 + textCapacity(text)) { writer in
            writer.field("room", room)
            writer.idField("id", id)
            writer.field("text", text)
            writer.field("ets", ets)
        }
    }

    /// `{"t":"left","room":1}`.
    public static func left(room: UInt32) -> [UInt8] {
        event("left", capacity: 32) { $0.field("room", room) }
    }

    /// `{"t":"error","code":"rate_limited","msg":"…","cid":"c1","retry_ms":1200}` (`cid`
    /// and `retry_ms` only when known).
    public static func error(_ error: ProtocolError) -> [UInt8] {
        event("error", capacity: 64 + error.message.utf8.count + (error.cid?.utf8.count ?? 0)) { writer in
            writer.field("code", error.code.rawValue)
            writer.field("msg", error.message)
            if let cid = error.cid { writer.field("cid", cid) }
            if let retry = error.retryAfterMs { writer.field("retry_ms", retry) }
        }
    }

    // MARK: Shared pieces

    /// One event object: `{"t":"<type>"` then what `body` writes, then `}`.
    @inline(__always)
    static func event(_ type: StaticString, capacity: Int, _ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter(capacity: capacity)
        writer.beginObject()
        writer.key("t")
        writer.literalString(type)
        body(&writer)
        writer.endObject()
        return writer.bytes
    }

    /// Writes one `msg` object; history arrays and `chats` embed the same object, `t`
    /// included, so clients handle live and stored messages alike.
    static func writeMessage(_ message: ChatMessage, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("t")
        writer.literalString("msg")
        switch message.chat {
        case .room(let room): writer.field("room", room)
        case .dm(let peer): writer.field("dm", peer)
        }
        writer.idField("id", message.id)
        writer.field("from", message.from)
        writer.field("ts", message.ts)
        writer.field("text", message.text)
        if let edited = message.edited { writer.field("edited", edited) }
        writer.endObject()
    }

    /// A guess at one encoded `msg`: fixed fields plus the text with some room for escapes.
    static func messageCapacity(_ message: ChatMessage) -> Int {
        96 + textCapacity(message.text)
    }

    /// The text's UTF-8 size plus an eighth for escapes.
    static func textCapacity(_ text: String) -> Int {
        let count = text.utf8.count
        return count + count / 8
    }
}
