/// Turns a client's text frame (one JSON object) into a ``ClientCommand``, or a
/// ``ProtocolError`` to send back; the connection stays open either way.
///
/// Rules, beyond the contract's (docs/protocol.md lists them all):
/// - `t` names the command; unknown `t`, a non-object frame or invalid JSON: `bad_request`.
/// - Unknown fields are ignored; an optional field set to `null` counts as absent.
/// - Ids (`room`, `to`, `users`) must be JSON integers in 0...2^32-1; `1.0` is not an integer.
/// - Message ids (`since`, `id`, `before`) are decimal strings of digits (leading zeros
///   tolerated) or non-negative JSON integers, up to 2^64-1.
/// - `cid`: 1 to 64 Unicode scalars. `text`: non-empty; over ``maxTextBytes`` UTF-8 bytes is
///   `too_large` (with the cid). For `send`/`dm` the cid is read first, so any later error
///   carries it.
/// - `history.limit`: 1...200, default 50; outside is `bad_request`, never clamped.
/// - `presence.users`: at most 500 ids.
public struct ClientCommandDecoder: Sendable {
    /// Upper bound of a message's text in UTF-8 bytes.
    public var maxTextBytes: Int

    /// A decoder with the given text limit (the contract's default: 4,096 bytes).
    public init(maxTextBytes: Int = ProtocolLimits.defaultMaxTextBytes) {
        self.maxTextBytes = maxTextBytes
    }

    /// Decodes one text frame's payload.
    public func decode(_ frame: UnsafeRawBufferPointer) throws(ProtocolError) -> ClientCommand {
        let document: JSONDocument
        do {
            document = try JSONDocument.parse(frame)
        } catch {
            throw .badRequest("invalid JSON")
        }
        return try decode(document.root)
    }

    /// Decodes one text frame's payload held in an array.
    public func decode(_ frame: [UInt8]) throws(ProtocolError) -> ClientCommand {
        let result = frame.withUnsafeBytes { buffer in
            Result { () throws(ProtocolError) -> ClientCommand in try decode(buffer) }
        }
        return try result.get()
    }

    /// Decodes a parsed frame.
    public func decode(_ object: JSONValue) throws(ProtocolError) -> ClientCommand {
        guard object.kind == .object else { throw .badRequest("a frame must be a JSON object") }
        guard let type = object["t"], type.kind == .string else { throw .badRequest("missing t") }
        if type.stringEquals("send") {
            let cid = try cidField(object)
            return .send(room: try uint32Field(object, "room", cid: cid), text: try textField(object, cid: cid), cid: cid)
        } else if type.stringEquals("typing") {
            return .typing(room: try uint32Field(object, "room"))
        } else if type.stringEquals("read") {
            return .read(room: try uint32Field(object, "room"), id: try messageIDField(object, "id"))
        } else if type.stringEquals("dm") {
            let cid = try cidField(object)
            return .dm(to: try uint32Field(object, "to", cid: cid), text: try textField(object, cid: cid), cid: cid)
        } else if type.stringEquals("join") {
            return .join(room: try uint32Field(object, "room"), since: try optionalMessageIDField(object, "since"), epoch: try optionalStringField(object, "epoch"))
        } else if type.stringEquals("leave") {
            return .leave(room: try uint32Field(object, "room"))
        } else if type.stringEquals("edit") {
            return .edit(room: try uint32Field(object, "room"), id: try messageIDField(object, "id"), text: try textField(object, cid: nil))
        } else if type.stringEquals("history") {
            return .history(room: try uint32Field(object, "room"), before: try optionalMessageIDField(object, "before"), limit: try limitField(object))
        } else if type.stringEquals("presence") {
            return .presence(users: try usersField(object))
        } else if type.stringEquals("chats") {
            return .chats
        }
        throw .badRequest("unknown t")
    }
}
