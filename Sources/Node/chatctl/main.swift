// chatctl: the operator's client of a chat-node's control socket (docs/operations.md).
@preconcurrency import Glibc
import Foundation
import NodeKit

/// Writes to stderr and exits.
func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("chatctl: \(message)\n".utf8))
    exit(code)
}

let arguments: Arguments
switch Arguments.parse(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment) {
case .success(let parsed):
    arguments = parsed
case .failure(let error):
    if error.message.isEmpty {
        print(Arguments.usage)
        exit(CommandLine.arguments.count > 1 && CommandLine.arguments.contains(where: { ["-h", "--help", "help"].contains($0) }) ? 0 : 2)
    }
    fail("\(error.message)\n\n\(Arguments.usage)", code: 2)
}

/// The request for the command line, or a usage error.
func request(for arguments: Arguments) -> [String: Any] {
    let words = arguments.words
    func path() -> String {
        guard words.count == 1 else { fail("\(arguments.command) needs one actor path, e.g. /node/rooms/42", code: 2) }
        return words[0]
    }
    func limit(_ request: inout [String: Any]) {
        guard let text = arguments.limit else { return }
        guard let number = Int(text) else { fail("--limit must be an integer", code: 2) }
        request["limit"] = number
    }
    var request: [String: Any]
    switch arguments.command {
    case "tree", "stats", "drain":
        guard words.isEmpty else { fail("\(arguments.command) takes no arguments", code: 2) }
        request = ["cmd": arguments.command]
    case "inspect", "kill", "restart":
        request = ["cmd": arguments.command, "path": path()]
    case "level":
        switch words.count {
        case 0: request = ["cmd": "level"]
        case 2 where words[0] == "pin": request = ["cmd": "level", "pin": words[1]]
        case 1 where words[0] == "unpin": request = ["cmd": "level", "unpin": true]
        default: fail("usage: chatctl level [pin LEVEL | unpin]", code: 2)
        }
    case "conns":
        request = ["cmd": "conns"]
        limit(&request)
    case "rooms":
        request = ["cmd": "rooms"]
        if let by = arguments.by { request["by"] = by }
        limit(&request)
    case "broadcast":
        guard !words.isEmpty else { fail("usage: chatctl broadcast [--room R] TEXT", code: 2) }
        request = ["cmd": "broadcast", "text": words.joined(separator: " ")]
        if let room = arguments.room {
            guard let id = UInt32(room) else { fail("--room must be a room id", code: 2) }
            request["room"] = id
        }
    default:
        fail("unknown command \(arguments.command)\n\n\(Arguments.usage)", code: 2)
    }
    if let token = arguments.token { request["token"] = token }
    return request
}

/// Sends one request and returns the reply, exiting with a clear message when the node
/// cannot be reached or refuses.
func send(_ request: [String: Any], over connection: ControlConnection) -> (line: String, reply: [String: Any]) {
    let answer: (line: String, reply: [String: Any])
    do {
        answer = try connection.send(request)
    } catch {
        fail(error.message, code: error.exitCode)
    }
    if (answer.reply["ok"] as? Bool) != true {
        if arguments.json { print(answer.line) }
        let message = Formatting.string(answer.reply["error"])
        if message == "unauthorized" {
            fail("unauthorized: the node wants a control token (--token or CONTROL_TOKEN)", code: 1)
        }
        fail(message.isEmpty ? "the node refused the command" : message, code: 1)
    }
    return answer
}

func connect() -> ControlConnection {
    do {
        return try ControlConnection(path: arguments.socket)
    } catch {
        fail(error.message, code: error.exitCode)
    }
}

if arguments.command == "top" {
    guard arguments.words.isEmpty else { fail("top takes no arguments", code: 2) }
    Top(arguments: arguments, connection: connect()).run()
    exit(0)
}

let command = request(for: arguments)
let (line, reply) = send(command, over: connect())
if arguments.json {
    print(line)
    exit(0)
}
switch arguments.command {
case "tree": print(Formatting.tree((reply["tree"] as? [String: Any]) ?? [:]))
case "inspect": print(Formatting.inspect(reply))
case "kill": print("killed \(Formatting.string(reply["path"])) (restarts: \(Formatting.int(reply["restarts"])))")
case "restart": print("restarted \(Formatting.string(reply["path"])) (restarts: \(Formatting.int(reply["restarts"])))")
case "level": print(Formatting.level(reply))
case "stats": print(Formatting.stats(reply))
case "conns": print(Formatting.conns(reply))
case "rooms": print(Formatting.rooms(reply))
case "broadcast":
    let target = reply["room"].map { "room \(Formatting.int($0))" } ?? "every connection"
    print("sent to \(Formatting.int(reply["recipients"])) connections (\(target))")
case "drain": print("draining: closed \(Formatting.int(reply["closed"])) WebSockets; /health now answers 503")
default: print(line)
}
