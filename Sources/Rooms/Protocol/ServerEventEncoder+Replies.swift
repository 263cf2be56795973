extension ServerEventEncoder {
    /// `{"t":"joined","room":1,"epoch":"e","members":3,"history":[msg…],"gap":true}`;
    /// `history` oldest first, `gap` only when true.
    public static func joined(room: UInt32, epoch: String, members: Int, history: [ChatMessage], gap: Bool = false) -> [UInt8] {
        event("joined", capacity: 96 + epoch.utf8.count + messagesCapacity(history)) { writer in
            writer.field("room", room)
            writer.field("epoch", epoch)
            writer.field("members", members)
            writer.key("history")
            writeMessages(history, into: &writer)
            if gap { writer.field("gap", true) }
        }
    }

    /// `{"t":"history","room":1,"msgs":[msg…]}`, newest last.
    public static func history(room: UInt32, messages: [ChatMessage]) -> [UInt8] {
        event("history", capacity: 48 + messagesCapacity(messages)) { writer in
            writer.field("room", room)
            writer.key("msgs")
            writeMessages(messages, into: &writer)
        }
    }

    /// The reply to `presence`: `{"t":"presence","online":[1,2]}`.
    public static func presence(online: [UInt32]) -> [UInt8] {
        event("presence", capacity: 32 + 11 * online.count) { $0.integerArrayField("online", online) }
    }

    /// A presence change: `{"t":"presence","user":2,"online":false}`.
    public static func presenceChange(user: UInt32, online: Bool) -> [UInt8] {
        event("presence", capacity: 56) { writer in
            writer.field("user", user)
            writer.field("online", online)
        }
    }

    /// `{"t":"chats","items":[{"room":1,"last":msg|null,"unread":0},{"dm":2,"last":…,"unread":1,"online":true}]}`.
    public static func chats(_ items: [ChatListEntry]) -> [UInt8] {
        event("chats", capacity: 32 + items.reduce(0) { $0 + 48 + ($1.last.map(messageCapacity) ?? 4) }) { writer in
            writer.key("items")
            writer.beginArray()
            for item in items {
                writer.beginObject()
                switch item.chat {
                case .room(let room): writer.field("room", room)
                case .dm(let peer): writer.field("dm", peer)
                }
                writer.key("last")
                if let last = item.last { writeMessage(last, into: &writer) } else { writer.null() }
                writer.field("unread", item.unread)
                if case .dm = item.chat { writer.field("online", item.online) }
                writer.endObject()
            }
            writer.endArray()
        }
    }

    /// `{"t":"mode","level":"high","disabled":["typing"]}`.
    public static func mode(level: LoadLevel, disabled: [DegradableFeature]) -> [UInt8] {
        event("mode", capacity: 48 + 12 * disabled.count) { writer in
            writer.field("level", level.rawValue)
            writer.key("disabled")
            writer.beginArray()
            for feature in disabled { writer.string(feature.rawValue) }
            writer.endArray()
        }
    }

    /// Writes an array of `msg` objects.
    private static func writeMessages(_ messages: [ChatMessage], into writer: inout JSONWriter) {
        writer.beginArray()
        for message in messages { writeMessage(message, into: &writer) }
        writer.endArray()
    }

    /// A guess at an array of encoded messages.
    private static func messagesCapacity(_ messages: [ChatMessage]) -> Int {
        messages.reduce(2) { $0 + 1 + messageCapacity($1) }
    }
}
