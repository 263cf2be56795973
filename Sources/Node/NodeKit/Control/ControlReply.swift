import Actors
import Foundation

/// Builds reply lines: `{"ok":true, ...result}` or `{"ok":false,"error":"..."}`, with the
/// request's `id` echoed when it had one. One line each, ending in `\n`.
public enum ControlReply {
    /// A success carrying the members of `result` (an `Encodable` encoded as an object).
    public static func success(_ result: some Encodable, id: String?) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let body = try? encoder.encode(result), body.first == UInt8(ascii: "{") else {
            return failure("internal error: reply not encodable", id: id)
        }
        var line = Array(#"{"ok":true"#.utf8)
        if let id { line += Array(#","id":\#(id)"#.utf8) }
        let members = body.dropFirst()  // after "{": either "}" or "member,...}"
        if members.first != UInt8(ascii: "}") { line.append(UInt8(ascii: ",")) }
        line += members
        line.append(0x0A)
        return line
    }

    /// A refusal or failure with `message`.
    public static func failure(_ message: String, id: String?) -> [UInt8] {
        var text = #"{"ok":false"#
        if let id { text += #","id":\#(id)"# }
        text += #","error":\#(JSONText.string(message))}"# + "\n"
        return Array(text.utf8)
    }
}

// MARK: - Results (keys in snake_case, as in the control socket's documentation)

/// `tree`: the whole supervision tree.
struct TreeResult: Encodable {
    var tree: ActorSnapshot
}

/// `inspect`: one actor, its direct children, and for a room what the chat service knows.
struct InspectResult: Encodable {
    var actor: ActorSnapshot
    var room: RoomResult?
}

/// One room (`rooms`, `inspect`).
struct RoomResult: Encodable {
    var id: UInt32
    var subscribers: Int
    var joining: Int
    var users: Int
    var messagesPerMin: Int
    var hot: Bool

    enum CodingKeys: String, CodingKey {
        case id, subscribers, joining, users, hot
        case messagesPerMin = "messages_per_min"
    }
}

/// `kill`, `restart`.
struct ActionResult: Encodable {
    var path: String
    var action: String
    var restarts: Int?
}

/// `level`.
struct LevelResult: Encodable {
    var level: String
    var measured: String
    var pinned: String?

    enum CodingKeys: String, CodingKey { case level, measured, pinned }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(level, forKey: .level)
        try container.encode(measured, forKey: .measured)
        try container.encode(pinned, forKey: .pinned)  // null when not pinned
    }
}

/// `conns`.
struct ConnsResult: Encodable {
    var total: Int
    var connections: [ConnectionResult]
}

/// One connection of `conns`.
struct ConnectionResult: Encodable {
    var id: String
    var user: UInt32?
    var state: String
    var pendingBytes: Int
    var pendingFrames: Int
    var budget: Int
    var bytesIn: Int
    var framesOut: Int
    var idleS: Int
    var deflate: Bool

    enum CodingKeys: String, CodingKey {
        case id, user, state, budget, deflate
        case pendingBytes = "pending_bytes", pendingFrames = "pending_frames", bytesIn = "bytes_in"
        case framesOut = "frames_out", idleS = "idle_s"
    }
}

/// `rooms`.
struct RoomsResult: Encodable {
    var total: Int
    var by: String
    var rooms: [RoomResult]
}

/// `broadcast`.
struct BroadcastResult: Encodable {
    var recipients: Int
    var room: UInt32?
}

/// `drain`.
struct DrainResult: Encodable {
    var draining: Bool
    var closed: Int
}
