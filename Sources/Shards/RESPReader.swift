import CHiredis

/// An incremental RESP2 reply reader over hiredis's reader API, for a non-blocking socket.
///
/// The link owns the socket and this reader; on every readable event it feeds whatever
/// bytes arrived (any split: half a header, many replies at once) and drains the complete
/// replies. No threads, no callbacks, no blocking:
///
/// ```
/// recv() -> feed(bytes) -> next() -> RESPValue ... next() -> nil (wait for more bytes)
/// ```
///
/// Each hiredis `redisReply` is converted into a `RESPValue` and freed at once, so no C
/// pointer escapes. hiredis 0.14.1 (Debian) speaks RESP2 only and nests arrays at most 7
/// deep; it range-checks every length. A protocol error from hiredis, or a reply that
/// does not add up (a count without elements), is thrown as a `ShardsError`, never trapped
/// on, and the reader stays failed: the stream cannot be resynchronised, so the link
/// closes the connection and starts over with a new reader.
///
/// Bound to the one event loop that owns the connection: not `Sendable`.
public final class RESPReader {
    private let reader: UnsafeMutablePointer<redisReader>
    private var failure: ShardsError?

    /// Deepest nesting of arrays accepted (hiredis itself stops at 7); bounds recursion.
    public static let maximumDepth = 16

    /// A reader with an empty buffer. Throws `.outOfMemory` if hiredis cannot allocate.
    public init() throws(ShardsError) {
        guard let reader = redisReaderCreate() else { throw .outOfMemory }
        self.reader = reader
    }

    deinit { redisReaderFree(reader) }

    /// Bytes fed and not yet parsed: about the size of a pending partial reply (hiredis
    /// parses headers as they arrive and keeps at most 1 KiB of parsed bytes besides).
    /// A link bounds this to cap the memory one huge reply may take.
    public var bufferedByteCount: Int {
        // size_t imports as Int: a corrupt value shows as negative, so clamp instead of trusting.
        let length = reader.pointee.len, position = reader.pointee.pos
        guard position >= 0, length >= position else { return 0 }
        return length - position
    }

    /// Appends bytes read from the socket (hiredis copies them; the buffer may be reused).
    public func feed(_ bytes: UnsafeRawBufferPointer) throws(ShardsError) {
        if let failure { throw failure }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let status = redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count)
        if status != REDIS_OK { throw fail() }
    }

    /// Appends bytes read from the socket.
    public func feed(_ bytes: [UInt8]) throws(ShardsError) {
        if let failure { throw failure }
        let status = bytes.withUnsafeBytes { buffer -> Int32 in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return REDIS_OK }
            return redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), buffer.count)
        }
        if status != REDIS_OK { throw fail() }
    }

    /// Appends a slice of bytes read from the socket.
    public func feed(_ bytes: ArraySlice<UInt8>) throws(ShardsError) {
        if let failure { throw failure }
        let status = bytes.withUnsafeBytes { buffer -> Int32 in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return REDIS_OK }
            return redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), buffer.count)
        }
        if status != REDIS_OK { throw fail() }
    }

    /// The next complete reply, or nil when the bytes fed so far end inside a reply (or
    /// at a reply boundary). Throws on a protocol error, then on every later call.
    public func next() throws(ShardsError) -> RESPValue? {
        if let failure { throw failure }
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else { throw fail() }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        do {
            return try Self.convert(raw.assumingMemoryBound(to: redisReply.self), depth: 0)
        } catch {
            failure = error
            throw error
        }
    }

    /// Feeds `bytes` and returns every reply they complete, in order (zero or more).
    /// On a protocol error the replies completed before it are not returned: a link that
    /// must answer them drives `feed` and `next` itself.
    public func read(_ bytes: [UInt8]) throws(ShardsError) -> [RESPValue] {
        try feed(bytes)
        return try drain()
    }

    /// Returns every complete reply buffered so far, in order (zero or more).
    public func drain() throws(ShardsError) -> [RESPValue] {
        var values: [RESPValue] = []
        while let value = try next() { values.append(value) }
        return values
    }

    // MARK: - Private

    /// Records hiredis's error as this reader's permanent failure and returns it.
    private func fail() -> ShardsError {
        let error: ShardsError
        if reader.pointee.err == REDIS_ERR_OOM {
            error = .outOfMemory
        } else {
            let message = withUnsafeBytes(of: reader.pointee.errstr) { bytes -> String in
                let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
                return String(decoding: bytes[..<end], as: UTF8.self)
            }
            error = .protocolViolation(message.isEmpty ? "hiredis reader error \(reader.pointee.err)" : message)
        }
        failure = error
        return error
    }

    /// Copies a hiredis reply tree into a `RESPValue`, checking every length and pointer.
    private static func convert(_ reply: UnsafePointer<redisReply>, depth: Int) throws(ShardsError) -> RESPValue {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STRING:
            return .bulkString(try bytes(node.str, node.len))
        case REDIS_REPLY_STATUS:
            return .simpleString(String(decoding: try bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: try bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(node.integer))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            guard depth < maximumDepth else { throw .protocolViolation("arrays nested too deep") }
            let count = node.elements  // size_t imported as Int
            guard count >= 0 else { throw .protocolViolation("array length out of range") }
            if count == 0 { return .array([]) }
            guard let elements = node.element else { throw .protocolViolation("array without elements") }
            var values: [RESPValue] = []
            values.reserveCapacity(count)
            for index in 0..<count {
                guard let child = elements[index] else { throw .protocolViolation("missing array element") }
                values.append(try convert(child, depth: depth + 1))
            }
            return .array(values)
        default:
            throw .protocolViolation("unknown reply type \(node.type)")
        }
    }

    /// The `len` bytes at `str` (empty when `len` is 0; an error when the pointer is missing).
    private static func bytes(_ str: UnsafeMutablePointer<CChar>?, _ len: Int) throws(ShardsError) -> [UInt8] {
        guard len >= 0 else { throw .protocolViolation("string length out of range") }
        guard len > 0 else { return [] }
        guard let str else { throw .protocolViolation("string without bytes") }
        return Array(UnsafeRawBufferPointer(start: str, count: len))
    }
}

@available(*, unavailable, message: "a RESPReader belongs to the one event loop that owns its connection")
extension RESPReader: Sendable {}
