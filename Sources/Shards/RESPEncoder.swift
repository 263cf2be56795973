/// Builds RESP2 commands into one output buffer, ready for a non-blocking `write`.
///
/// A command is an array of bulk strings (the only form Valkey accepts from clients):
///
/// ```
/// SET k 42   ->   *3\r\n $3\r\nSET\r\n $1\r\nk\r\n $2\r\n42\r\n
/// ```
///
/// Commands are appended back to back, which is what pipelining is: the link writes
/// `buffer` as far as the socket takes it and drops the written prefix. Encoding in Swift
/// and letting hiredis only read replies beat `redisFormatCommandArgv` (TOOLCHAIN.md:
/// about 280,000 against 215,000 commands/s): no C strings, no per-command allocation, no
/// `String(format:)`. Numbers are written as decimal ASCII by hand.
///
/// Example: `encoder.command("ZADD", key, messageID, payload)`.
public struct RESPEncoder: Sendable {
    /// The encoded bytes of every command appended so far, oldest first.
    public var buffer: [UInt8]

    /// An empty encoder whose buffer has room for `capacity` bytes before it grows.
    public init(reservingCapacity capacity: Int = 4096) {
        buffer = []
        buffer.reserveCapacity(max(0, capacity))
    }

    /// Number of encoded bytes waiting in `buffer`.
    public var count: Int { buffer.count }

    /// True when no command is waiting.
    public var isEmpty: Bool { buffer.isEmpty }

    /// Returns the encoded bytes and leaves the encoder empty (keeping its capacity is not
    /// possible once the bytes are handed out, so a fresh buffer of the same size is reserved).
    public mutating func take() -> [UInt8] {
        let capacity = buffer.capacity
        let out = buffer
        buffer = []
        buffer.reserveCapacity(capacity)
        return out
    }

    /// Appends one command whose arguments are given inline, of any `RESPArgument` types:
    /// `command("SET", key, 42)`. No array of arguments is built.
    public mutating func command<each Argument: RESPArgument>(_ arguments: repeat each Argument) {
        var count = 0
        for _ in repeat each arguments { count += 1 }
        arrayHeader(count: count)
        for argument in repeat each arguments { argument.appendBulkString(to: &buffer) }
    }

    /// Appends one command whose arguments are the elements of a collection (e.g. `[[UInt8]]`
    /// for `SUBSCRIBE` of many channels).
    public mutating func command<Arguments: Collection>(arguments: Arguments) where Arguments.Element: RESPArgument {
        arrayHeader(count: arguments.count)
        for argument in arguments { argument.appendBulkString(to: &buffer) }
    }

    /// Appends an array header `*<count>\r\n`: the start of a command of `count` arguments,
    /// to be followed by exactly `count` calls of `bulkString(_:)`.
    public mutating func arrayHeader(count: Int) {
        precondition(count >= 0, "a RESP array has a non-negative count")
        buffer.append(UInt8(ascii: "*"))
        ASCIIDecimal.append(UInt64(count), to: &buffer)
        buffer.append(13)
        buffer.append(10)
    }

    /// Appends one bulk string `$<length>\r\n<bytes>\r\n`: one argument of a command.
    public mutating func bulkString(_ argument: some RESPArgument) {
        argument.appendBulkString(to: &buffer)
    }
}

// MARK: - Arguments

/// A value that can be one argument of a command: bytes, text or a number.
///
/// Numbers are sent as their decimal text, which is how Valkey reads integers and scores.
public protocol RESPArgument {
    /// Appends this value as one RESP bulk string to `buffer`.
    func appendBulkString(to buffer: inout [UInt8])
}

extension RESPArgument where Self: Collection, Self.Element == UInt8 {
    /// Appends the bytes as they are (binary safe).
    public func appendBulkString(to buffer: inout [UInt8]) {
        ASCIIDecimal.appendBulkHeader(length: count, to: &buffer)
        buffer.append(contentsOf: self)
        buffer.append(13)
        buffer.append(10)
    }
}

/// Byte arrays are sent as they are (payloads, keys from `Keyspace`).
extension Array: RESPArgument where Element == UInt8 {}
/// Slices of byte arrays are sent as they are.
extension ArraySlice: RESPArgument where Element == UInt8 {}
/// Raw buffers (e.g. a socket's read buffer) are sent as they are.
extension UnsafeRawBufferPointer: RESPArgument {}

extension String: RESPArgument {
    /// Appends the string's UTF-8 bytes.
    public func appendBulkString(to buffer: inout [UInt8]) { utf8.appendBulkString(to: &buffer) }
}

extension Substring: RESPArgument {
    /// Appends the substring's UTF-8 bytes.
    public func appendBulkString(to buffer: inout [UInt8]) { utf8.appendBulkString(to: &buffer) }
}

/// A string's UTF-8 view is sent as its bytes.
extension String.UTF8View: RESPArgument {}
/// A substring's UTF-8 view is sent as its bytes.
extension Substring.UTF8View: RESPArgument {}

extension Int: RESPArgument {
    /// Appends the decimal text of the integer (`-12` -> `$3\r\n-12\r\n`).
    public func appendBulkString(to buffer: inout [UInt8]) { ASCIIDecimal.appendBulk(Int64(self), to: &buffer) }
}

extension Int64: RESPArgument {
    /// Appends the decimal text of the integer.
    public func appendBulkString(to buffer: inout [UInt8]) { ASCIIDecimal.appendBulk(self, to: &buffer) }
}

extension Int32: RESPArgument {
    /// Appends the decimal text of the integer.
    public func appendBulkString(to buffer: inout [UInt8]) { ASCIIDecimal.appendBulk(Int64(self), to: &buffer) }
}

extension UInt64: RESPArgument {
    /// Appends the decimal text of the integer (all 20 digits when needed).
    public func appendBulkString(to buffer: inout [UInt8]) { ASCIIDecimal.appendBulk(self, negative: false, to: &buffer) }
}

extension UInt32: RESPArgument {
    /// Appends the decimal text of the integer.
    public func appendBulkString(to buffer: inout [UInt8]) { ASCIIDecimal.appendBulk(UInt64(self), negative: false, to: &buffer) }
}

extension Double: RESPArgument {
    /// Appends Swift's shortest round-trip text of the number (`1.5`, `1e+20`, `inf`, `-inf`),
    /// which Valkey's `strtod` reads back exactly (scores, `ZRANGEBYSCORE` bounds).
    public func appendBulkString(to buffer: inout [UInt8]) { description.appendBulkString(to: &buffer) }
}
