import Foundation
import NodeKit

/// The command line of chatctl: options anywhere, then a command and its words.
struct Arguments {
    var socket: String
    var token: String?
    var json = false
    var command = ""
    var words: [String] = []
    var room: String?
    var limit: String?
    var by: String?
    var count: Int?
    var interval = 1.0

    static let usage = """
    usage: chatctl [--socket PATH] [--token TOKEN] [--json] COMMAND

    commands:
      tree                        the supervision tree: status, restarts, mailbox depth
      inspect PATH                one actor, e.g. inspect /node/rooms/42
      kill PATH                   inject a failure (its supervisor restarts it)
      restart PATH                stop and start an actor cleanly
      level [pin LEVEL | unpin]   read, pin (normal, elevated, high, critical) or unpin the level
      stats                       connections, rates, shards, memory, CPU
      conns [--limit N]           connections with the most pending bytes
      rooms [--by subscribers|rate] [--limit N]
                                  the busiest rooms
      broadcast [--room R] TEXT   an admin message to one room or to every connection
      drain                       refuse new WebSockets, close open ones (1001), keep running
      top [--count N] [--interval S]
                                  a live view, redrawn every second until Ctrl-C

    options:
      --socket PATH   control socket (default: CONTROL_SOCKET, else the node's default)
      --token TOKEN   control token (default: CONTROL_TOKEN)
      --json          print the node's raw reply

    exit codes: 0 done, 1 the node refused the command, 2 usage, 3 node not running or
    socket not accessible, 4 unexpected reply
    """

    /// Parses `arguments` (without the program name); nil and a message when invalid.
    static func parse(_ arguments: [String], environment: [String: String]) -> Result<Arguments, UsageError> {
        var parsed = Arguments(
            socket: environment["CONTROL_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
                ?? NodeConfiguration.defaultControlSocket(environment: environment),
            token: environment["CONTROL_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        var positional: [String] = []
        var index = 0
        func value(_ flag: String) throws(UsageError) -> String {
            guard index < arguments.count else { throw UsageError("\(flag) needs a value") }
            defer { index += 1 }
            return arguments[index]
        }
        do throws(UsageError) {
            while index < arguments.count {
                let argument = arguments[index]
                index += 1
                switch argument {
                case "--socket": parsed.socket = try value(argument)
                case "--token": parsed.token = try value(argument)
                case "--json": parsed.json = true
                case "--room": parsed.room = try value(argument)
                case "--limit": parsed.limit = try value(argument)
                case "--by": parsed.by = try value(argument)
                case "--count":
                    let text = try value(argument)
                    guard let count = Int(text), count >= 1 else { throw UsageError("--count must be a positive integer") }
                    parsed.count = count
                case "--interval":
                    let text = try value(argument)
                    guard let seconds = Double(text), seconds >= 0.1, seconds <= 3600 else {
                        throw UsageError("--interval must be seconds from 0.1 to 3600")
                    }
                    parsed.interval = seconds
                case "-h", "--help", "help": throw UsageError("")
                case "--": positional += arguments[index...]; index = arguments.count
                default:
                    if argument.hasPrefix("--") { throw UsageError("unknown option \(argument)") }
                    positional.append(argument)
                }
            }
        } catch {
            return .failure(error)
        }
        guard let command = positional.first else { return .failure(UsageError("")) }
        parsed.command = command
        parsed.words = Array(positional.dropFirst())
        return .success(parsed)
    }
}

/// A command line chatctl does not understand (an empty message: just print the usage).
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
