@preconcurrency import Glibc
import Foundation
import Synchronization

/// Severity of a log line; `error` is the default, as the original plan asks.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug = 0, info, warn, error, off

    /// Parses `debug`, `info`, `warn`/`warning`, `error`, `off`.
    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "error": self = .error
        case "off", "none": self = .off
        default: return nil
        }
    }

    /// The level's name as written in log lines.
    public var name: String {
        switch self {
        case .debug: return "debug"
        case .info: return "info"
        case .warn: return "warn"
        case .error: return "error"
        case .off: return "off"
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// JSON-lines logging on stderr: an event name and string fields (types and ids, never
/// message contents). Cheap when a level is off: one atomic load.
public enum Log {
    private static let level = Atomic<Int>(LogLevel.error.rawValue)
    private static let sink = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// The level below which lines are skipped.
    public static var currentLevel: LogLevel {
        get { LogLevel(rawValue: level.load(ordering: .relaxed)) ?? .error }
        set { level.store(newValue.rawValue, ordering: .relaxed) }
    }

    /// Sends lines to `capture` instead of stderr (tests); nil restores stderr.
    public static func capture(_ capture: (@Sendable (String) -> Void)?) {
        sink.withLock { $0 = capture }
    }

    /// Whether a line at `level` would be written.
    @inlinable
    public static func enabled(_ level: LogLevel) -> Bool { level >= currentLevel && level != .off }

    public static func debug(_ event: String, _ fields: [String: String] = [:]) { write(.debug, event, fields) }
    public static func info(_ event: String, _ fields: [String: String] = [:]) { write(.info, event, fields) }
    public static func warn(_ event: String, _ fields: [String: String] = [:]) { write(.warn, event, fields) }
    public static func error(_ event: String, _ fields: [String: String] = [:]) { write(.error, event, fields) }

    /// Writes one line at `level` if enabled.
    public static func write(_ level: LogLevel, _ event: String, _ fields: [String: String]) {
        guard enabled(level) else { return }
        let ms = Int64(Date().timeIntervalSince1970 * 1000)
        var line = "{\"ts\":\(ms),\"level\":\"\(level.name)\",\"event\":\(jsonString(event))"
        for key in fields.keys.sorted() {
            line += ",\(jsonString(key)):\(jsonString(fields[key] ?? ""))"
        }
        line += "}\n"
        if let capture = sink.withLock({ $0 }) {
            capture(line)
            return
        }
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { raw in
            _ = Glibc.write(2, raw.baseAddress, raw.count)
        }
    }

    /// `text` as a JSON string literal.
    public static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
