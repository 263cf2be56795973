import Actors
import Rooms

/// One operator command, decoded and validated (PROTOCOL.md, "Control socket").
public enum ControlCommand: Sendable, Equatable {
    /// What `level` should do.
    public enum LevelChange: Sendable, Equatable {
        /// Read the levels.
        case get
        /// Pin a level.
        case pin(LoadLevel)
        /// Return control to the load monitor.
        case unpin
    }

    /// The whole supervision tree.
    case tree
    /// One actor's snapshot with its details (and room state for a room).
    case inspect(ActorPath)
    /// An injected failure of one actor.
    case kill(ActorPath)
    /// A clean stop and start of one actor.
    case restart(ActorPath)
    /// Read, pin or unpin the degradation level.
    case level(LevelChange)
    /// Node-wide figures.
    case stats
    /// Connections with the most pending bytes.
    case conns(limit: Int)
    /// Rooms with the most subscribers or messages.
    case rooms(limit: Int, by: RoomOrder)
    /// An admin message to one room or to everyone.
    case broadcast(text: String, room: UInt32?)
    /// Stop taking WebSockets, close the open ones with 1001, keep running.
    case drain

    /// Every command name, as written in `cmd`.
    public static let names = ["tree", "inspect", "kill", "restart", "level", "stats", "conns", "rooms", "broadcast", "drain"]
}

/// A request line: the command and the `id` to echo, if the client gave one.
public struct ControlRequest: Sendable, Equatable {
    /// The command.
    public var command: ControlCommand
    /// The request's `id` (a string or an integer) as JSON text, echoed in the reply.
    public var id: String?
}

/// A request that was refused before it ran: the message for `"error"`.
public struct ControlRequestError: Error, Sendable, Equatable {
    /// What was wrong, for the reply's `"error"`.
    public var message: String
    /// The request's `id` as JSON text, when it could be read.
    public var id: String?

    /// A refusal with `message`.
    public init(_ message: String, id: String? = nil) {
        self.message = message
        self.id = id
    }

    /// The reply to a request without the right token.
    public static let unauthorized = "unauthorized"
}

extension ControlRequest {
    /// Default and largest `limit` of `conns` and `rooms`.
    public static let defaultLimit = 20, maxLimit = 1000

    /// Decodes one line. `token`, when set, must equal the request's `"token"`;
    /// `maxTextBytes` bounds a broadcast's text. Never traps, whatever the bytes.
    public static func parse(_ line: [UInt8], token: String?, maxTextBytes: Int) -> Result<ControlRequest, ControlRequestError> {
        let document: JSONDocument
        do {
            document = try JSONDocument.parse(line)
        } catch {
            return .failure(ControlRequestError("invalid JSON (\(error.reason) at byte \(error.offset))"))
        }
        let root = document.root
        guard root.kind == .object else { return .failure(ControlRequestError("a request must be a JSON object")) }
        let id = requestID(root["id"])
        func fail(_ message: String) -> Result<ControlRequest, ControlRequestError> {
            .failure(ControlRequestError(message, id: id))
        }
        if let token {
            guard let given = root["token"]?.string, constantTimeEquals(given, token) else {
                return fail(ControlRequestError.unauthorized)
            }
        }
        guard let cmdValue = root["cmd"] else { return fail("missing \"cmd\" (one of \(ControlCommand.names.joined(separator: ", ")))") }
        guard let cmd = cmdValue.string else { return fail("\"cmd\" must be a string") }
        switch decode(cmd, root, maxTextBytes: maxTextBytes) {
        case .success(let command): return .success(ControlRequest(command: command, id: id))
        case .failure(let message): return fail(message.text)
        }
    }

    private struct Message: Error { let text: String }

    private static func decode(_ cmd: String, _ root: JSONValue, maxTextBytes: Int) -> Result<ControlCommand, Message> {
        do {
            switch cmd {
            case "tree": return .success(.tree)
            case "inspect": return .success(.inspect(try path(root)))
            case "kill": return .success(.kill(try path(root)))
            case "restart": return .success(.restart(try path(root)))
            case "level": return .success(.level(try levelChange(root)))
            case "stats": return .success(.stats)
            case "conns": return .success(.conns(limit: try limit(root)))
            case "rooms":
                var order = RoomOrder.subscribers
                if let by = root["by"] {
                    guard let text = by.string, let parsed = RoomOrder(rawValue: text) else {
                        throw Message(text: "\"by\" must be \"subscribers\" or \"rate\"")
                    }
                    order = parsed
                }
                return .success(.rooms(limit: try limit(root), by: order))
            case "broadcast":
                guard let text = root["text"]?.string, !text.isEmpty else {
                    throw Message(text: "\"text\" is required: a non-empty string")
                }
                guard text.utf8.count <= maxTextBytes else {
                    throw Message(text: "\"text\" is over \(maxTextBytes) bytes")
                }
                var room: UInt32?
                if let value = root["room"], !value.isNull {
                    guard let number = value.uint64, let id = UInt32(exactly: number) else {
                        throw Message(text: "\"room\" must be a room id (0 to 4294967295)")
                    }
                    room = id
                }
                return .success(.broadcast(text: text, room: room))
            case "drain": return .success(.drain)
            default:
                throw Message(text: "unknown cmd \"\(cmd.prefix(64))\" (one of \(ControlCommand.names.joined(separator: ", ")))")
            }
        } catch let message as Message {
            return .failure(message)
        } catch {
            return .failure(Message(text: "\(error)"))
        }
    }

    private static func path(_ root: JSONValue) throws -> ActorPath {
        guard let text = root["path"]?.string else { throw Message(text: "\"path\" is required (e.g. /node/rooms/42)") }
        guard let path = ActorPath(text) else { throw Message(text: "invalid path \"\(text.prefix(128))\" (e.g. /node/rooms/42)") }
        return path
    }

    private static func levelChange(_ root: JSONValue) throws -> ControlCommand.LevelChange {
        let pin = root["pin"], unpin = root["unpin"]
        if let pin, !pin.isNull {
            if let unpin, unpin.bool == true { throw Message(text: "give \"pin\" or \"unpin\", not both") }
            let names = LoadLevel.allCases.map(\.rawValue).joined(separator: ", ")
            guard let text = pin.string else { throw Message(text: "\"pin\" must be a level name (\(names))") }
            guard let level = LoadLevel(rawValue: text) else { throw Message(text: "unknown level \"\(text.prefix(32))\" (\(names))") }
            return .pin(level)
        }
        if let unpin, !unpin.isNull {
            guard let flag = unpin.bool else { throw Message(text: "\"unpin\" must be true") }
            return flag ? .unpin : .get
        }
        return .get
    }

    private static func limit(_ root: JSONValue) throws -> Int {
        guard let value = root["limit"], !value.isNull else { return defaultLimit }
        guard let number = value.int64, number >= 1, number <= Int64(maxLimit) else {
            throw Message(text: "\"limit\" must be an integer from 1 to \(maxLimit)")
        }
        return Int(number)
    }

    private static func requestID(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        if let text = value.string, text.utf8.count <= 128 { return JSONText.string(text) }
        if let number = value.int64 { return String(number) }
        return nil
    }

    /// Compares without stopping at the first difference (the token is a secret).
    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8), right = Array(rhs.utf8)
        var difference = UInt8(truncatingIfNeeded: left.count ^ right.count)
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0 && left.count == right.count
    }
}

/// JSON text helpers for replies.
enum JSONText {
    /// `text` as a JSON string literal.
    static func string(_ text: String) -> String { Log.jsonString(text) }
}
