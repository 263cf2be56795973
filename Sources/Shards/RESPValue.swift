/// One RESP2 reply from Valkey, as plain Swift values (no C pointers survive the reader).
///
/// ```
/// +OK\r\n                   -> .simpleString("OK")
/// -ERR wrong type\r\n       -> .error("ERR wrong type")
/// :42\r\n                   -> .integer(42)
/// $3\r\nfoo\r\n             -> .bulkString([0x66, 0x6f, 0x6f])
/// $-1\r\n  and  *-1\r\n     -> .null
/// *2\r\n:1\r\n$-1\r\n       -> .array([.integer(1), .null])
/// ```
///
/// Bulk strings stay bytes: payloads are binary (zstd) and keys need not be UTF-8.
/// Simple strings and errors are short ASCII status lines, so they are `String`s (decoded
/// leniently: invalid UTF-8 becomes U+FFFD, never a trap).
public enum RESPValue: Sendable, Hashable {
    /// A status reply (`+OK`, `+PONG`, `+QUEUED`).
    case simpleString(String)
    /// An error reply (`-ERR ...`, `-MOVED 3999 127.0.0.1:6381`, `-WRONGTYPE ...`), without
    /// the leading `-`. It answers one command; the connection stays usable.
    case error(String)
    /// An integer reply (`INCR`, `ZADD`, `PUBLISH` receiver counts).
    case integer(Int64)
    /// A bulk string reply: binary-safe bytes.
    case bulkString([UInt8])
    /// The null bulk string or null array (a missing key, a `BLPOP` timeout).
    case null
    /// An array reply; elements may themselves be arrays (`EXEC`, `SCAN`, pub/sub messages).
    case array([RESPValue])
}

// MARK: - Accessors

extension RESPValue {
    /// A bulk string made of a string's UTF-8 bytes (handy in tests and comparisons).
    public static func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }

    /// The bytes of a bulk string, or of a simple string; nil for any other kind.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): return bytes
        case .simpleString(let text): return Array(text.utf8)
        default: return nil
        }
    }

    /// The text of a bulk or simple string (lenient UTF-8 decoding); nil for other kinds.
    public var string: String? {
        switch self {
        case .bulkString(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .simpleString(let text): return text
        default: return nil
        }
    }

    /// The value of an integer reply, or of a bulk string holding a decimal integer
    /// (`GET` of a counter); nil otherwise.
    public var integer: Int64? {
        switch self {
        case .integer(let value): return value
        case .bulkString(let bytes): return Int64(String(decoding: bytes, as: UTF8.self))
        default: return nil
        }
    }

    /// The elements of an array reply; nil for other kinds (and for a null array).
    public var array: [RESPValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The message of an error reply; nil for any other kind.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }

    /// True for the null bulk string or null array.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

// MARK: - CustomStringConvertible

extension RESPValue: CustomStringConvertible {
    /// A compact debugging form, e.g. `[<7 bytes>, <8 bytes>, :3]`. Bulk strings
    /// show only their length, so logs never carry message contents (STYLE.md).
    public var description: String {
        switch self {
        case .simpleString(let text): return "+\(text)"
        case .error(let message): return "-\(message)"
        case .integer(let value): return ":\(value)"
        case .bulkString(let bytes): return "<\(bytes.count) bytes>"
        case .null: return "null"
        case .array(let elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
