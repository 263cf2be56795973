import Foundation

/// Human-readable renderings of control replies (the `--json` flag prints them raw).
enum Formatting {
    // MARK: tree

    /// The tree, one actor per line, drawn with ├── and └──:
    ///
    /// ```
    /// /node  running  restarts=0  mailbox=0  up 2m03s  strategy=oneForOne children=4 ...
    /// ├── shards  running  restarts=0  mailbox=0  up 2m03s  ...
    /// └── control  running  restarts=1  mailbox=0  up 10s  clients=1 ...
    /// ```
    static func tree(_ root: [String: Any]) -> String {
        var lines: [String] = []
        lines.append(actorLine(root, name: string(root["path"])))
        appendChildren(of: root, prefix: "", into: &lines)
        return lines.joined(separator: "\n")
    }

    private static func appendChildren(of node: [String: Any], prefix: String, into lines: inout [String]) {
        let children = (node["children"] as? [[String: Any]]) ?? []
        for (index, child) in children.enumerated() {
            let last = index == children.count - 1
            let name = string(child["path"]).split(separator: "/").last.map(String.init) ?? "?"
            lines.append(prefix + (last ? "└── " : "├── ") + actorLine(child, name: name))
            appendChildren(of: child, prefix: prefix + (last ? "    " : "│   "), into: &lines)
        }
    }

    private static func actorLine(_ actor: [String: Any], name: String) -> String {
        var parts = [name, string(actor["status"]), "restarts=\(int(actor["restarts"]))", "mailbox=\(int(actor["mailbox"]))"]
        if string(actor["status"]) == "running" { parts.append("up " + duration(ms: int(actor["uptimeMs"]))) }
        let summary = string(actor["summary"])
        if !summary.isEmpty { parts.append(summary) }
        return parts.joined(separator: "  ")
    }

    // MARK: inspect

    static func inspect(_ reply: [String: Any]) -> String {
        let actor = (reply["actor"] as? [String: Any]) ?? [:]
        var rows: [(String, String)] = [
            ("path", string(actor["path"])), ("kind", string(actor["kind"])), ("status", string(actor["status"])),
            ("restarts", String(int(actor["restarts"]))), ("mailbox", String(int(actor["mailbox"]))),
            ("processed", String(int(actor["processed"]))), ("uptime", duration(ms: int(actor["uptimeMs"]))),
            ("summary", string(actor["summary"])),
        ]
        if let failure = actor["lastFailure"] as? [String: Any] {
            let at = Date(timeIntervalSince1970: Double(int(failure["atMs"])) / 1000)
            rows.append(("last failure", "\(string(failure["reason"])) at \(ISO8601DateFormatter().string(from: at))"))
        }
        var out = table(rows)
        if let details = actor["details"] as? [String: Any], !details.isEmpty {
            out += "\ndetails:\n" + table(details.keys.sorted().map { ("  " + $0, string(details[$0])) })
        }
        if let room = reply["room"] as? [String: Any] {
            out += "\nroom:\n" + table([
                ("  subscribers", String(int(room["subscribers"]))), ("  users", String(int(room["users"]))),
                ("  joining", String(int(room["joining"]))), ("  messages/min", String(int(room["messages_per_min"]))),
                ("  hot", (room["hot"] as? Bool) == true ? "yes" : "no"),
            ])
        }
        let children = (actor["children"] as? [[String: Any]]) ?? []
        if !children.isEmpty {
            out += "\nchildren:\n" + children.map { "  " + actorLine($0, name: string($0["path"])) }.joined(separator: "\n")
        }
        return out
    }

    // MARK: stats, level, conns, rooms

    static func stats(_ reply: [String: Any]) -> String {
        let memory = (reply["memory"] as? [String: Any]) ?? [:]
        let cpu = (reply["cpu"] as? [String: Any]) ?? [:]
        var rows: [(String, String)] = [
            ("status", string(reply["status"])), ("uptime", duration(ms: int(reply["uptime_s"]) * 1000)),
            ("level", string(reply["level"])),
            ("connections", String(int(reply["connections"]))), ("sessions", String(int(reply["sessions"]))),
            ("rooms", String(int(reply["rooms"]))),
            ("messages in/s", number(reply["messages_in_per_s"])), ("messages out/s", number(reply["messages_out_per_s"])),
            ("deliveries/s", number(reply["deliveries_per_s"])),
            ("memory", "\(bytes(int(memory["rss_bytes"]))) of \(bytes(int(memory["limit_bytes"])))"),
            ("cpu", "\(number(cpu["percent"]))%"),
        ]
        if (reply["draining"] as? Bool) == true { rows.append(("draining", "yes")) }
        var out = table(rows)
        let shards = (reply["shards"] as? [[String: Any]]) ?? []
        if !shards.isEmpty {
            out += "\nshards:\n" + table(shards.map { shard in
                ("  " + string(shard["name"]),
                 "\(string(shard["address"]))  \((shard["connected"] as? Bool) == true ? "up" : "DOWN")  outbox=\(int(shard["outbox"]))"
                    + "  commands=\(int(shard["commands"]))  errors=\(int(shard["errors"]))  refused=\(int(shard["refused"]))")
            })
        }
        return out
    }

    static func level(_ reply: [String: Any]) -> String {
        let level = string(reply["level"]), measured = string(reply["measured"])
        if reply["pinned"] is String { return "level \(level) (pinned; measured \(measured))" }
        return "level \(level) (measured)"
    }

    static func conns(_ reply: [String: Any]) -> String {
        let connections = (reply["connections"] as? [[String: Any]]) ?? []
        var rows = [["ID", "USER", "STATE", "PENDING", "FRAMES", "BUDGET", "IDLE"]]
        for connection in connections {
            rows.append([
                string(connection["id"]), connection["user"].map { "\(int($0))" } ?? "-", string(connection["state"]),
                bytes(int(connection["pending_bytes"])), String(int(connection["pending_frames"])),
                bytes(int(connection["budget"])), "\(int(connection["idle_s"]))s",
            ])
        }
        return columns(rows) + "\n\(connections.count) of \(int(reply["total"])) connections"
    }

    static func rooms(_ reply: [String: Any]) -> String {
        let rooms = (reply["rooms"] as? [[String: Any]]) ?? []
        var rows = [["ROOM", "SUBSCRIBERS", "USERS", "MSG/MIN", "HOT"]]
        for room in rooms {
            rows.append([
                String(int(room["id"])), String(int(room["subscribers"])), String(int(room["users"])),
                String(int(room["messages_per_min"])), (room["hot"] as? Bool) == true ? "hot" : "",
            ])
        }
        return columns(rows) + "\n\(rooms.count) of \(int(reply["total"])) rooms, by \(string(reply["by"]))"
    }

    // MARK: Helpers

    static func string(_ value: Any?) -> String {
        if let text = value as? String { return text }
        if let value { return "\(value)" }
        return ""
    }

    static func int(_ value: Any?) -> Int {
        if let number = value as? Int { return number }
        if let number = value as? Double, number.isFinite, abs(number) < 9e18 { return Int(number) }
        if let number = value as? NSNumber { return number.intValue }
        return 0
    }

    static func number(_ value: Any?) -> String {
        let double = (value as? Double) ?? (value as? NSNumber)?.doubleValue ?? 0
        let rounded = (double * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func duration(ms: Int) -> String {
        let seconds = max(0, ms / 1000)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(pad(seconds % 60))s" }
        if seconds < 86400 { return "\(seconds / 3600)h\(pad(seconds % 3600 / 60))m" }
        return "\(seconds / 86400)d\(seconds % 86400 / 3600)h"
    }

    static func bytes(_ count: Int) -> String {
        if count < 1024 { return "\(count) B" }
        if count < 1 << 20 { return "\(count / 1024) KiB" }
        if count < 1 << 30 { return "\(number(Double(count) / Double(1 << 20))) MiB" }
        return "\(number(Double(count) / Double(1 << 30))) GiB"
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Two columns, the first padded.
    static func table(_ rows: [(String, String)]) -> String {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }

    /// Columns padded to their widest cell.
    static func columns(_ rows: [[String]]) -> String {
        var widths: [Int] = []
        for row in rows {
            for (index, cell) in row.enumerated() {
                if index >= widths.count { widths.append(cell.count) } else { widths[index] = max(widths[index], cell.count) }
            }
        }
        return rows.map { row in
            let line = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            return String(line.reversed().drop { $0 == " " }.reversed())
        }.joined(separator: "\n")
    }
}
