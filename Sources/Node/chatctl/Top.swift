@preconcurrency import Glibc
import Foundation

/// `chatctl top`: stats, the busiest rooms and connections, redrawn every interval until
/// Ctrl-C or `--count` rounds.
struct Top {
    let arguments: Arguments
    let connection: ControlConnection

    func run() {
        let interactive = isatty(1) != 0
        var round = 0
        while arguments.count.map({ round < $0 }) ?? true {
            if round > 0 { Thread.sleep(forTimeInterval: arguments.interval) }
            round += 1
            let screen = render()
            if interactive {
                print("\u{1B}[H\u{1B}[2J" + screen)
            } else {
                print(screen + "\n")
            }
            fflush(stdout)
        }
    }

    private func render() -> String {
        var stats: [String: Any] = ["cmd": "stats"]
        var rooms: [String: Any] = ["cmd": "rooms", "by": arguments.by ?? "rate", "limit": 5]
        var conns: [String: Any] = ["cmd": "conns", "limit": 5]
        if let token = arguments.token {
            stats["token"] = token
            rooms["token"] = token
            conns["token"] = token
        }
        if arguments.json {
            return [stats, rooms, conns].map { send($0, over: connection).line }.joined(separator: "\n")
        }
        let figures = send(stats, over: connection).reply
        let memory = (figures["memory"] as? [String: Any]) ?? [:]
        let cpu = (figures["cpu"] as? [String: Any]) ?? [:]
        let shards = (figures["shards"] as? [[String: Any]]) ?? []
        let up = shards.filter { ($0["connected"] as? Bool) == true }.count
        var lines = [
            "chat-node \(arguments.socket)  \(Formatting.string(figures["status"]))  up \(Formatting.duration(ms: Formatting.int(figures["uptime_s"]) * 1000))"
                + "  level \(Formatting.string(figures["level"]))",
            "conns \(Formatting.int(figures["connections"]))  sessions \(Formatting.int(figures["sessions"]))"
                + "  rooms \(Formatting.int(figures["rooms"]))  in \(Formatting.number(figures["messages_in_per_s"]))/s"
                + "  out \(Formatting.number(figures["messages_out_per_s"]))/s",
            "mem \(Formatting.bytes(Formatting.int(memory["rss_bytes"])))  cpu \(Formatting.number(cpu["percent"]))%"
                + "  shards \(up)/\(shards.count) up",
            "",
        ]
        lines.append(Formatting.rooms(send(rooms, over: connection).reply))
        lines.append("")
        lines.append(Formatting.conns(send(conns, over: connection).reply))
        return lines.joined(separator: "\n")
    }
}
