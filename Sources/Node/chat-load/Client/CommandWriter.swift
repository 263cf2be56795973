import Gateway
import Rooms

/// Builds the client's frames: `join` and `send` as masked WebSocket frames, JSON or
/// compact binary.
///
/// The text of a send carries what the receiver needs to measure it:
///
///     <stamp>:<sender>:<tag>:xxxxxxxx...     padded with `x` to `size` bytes
///
/// `stamp` is the sender's monotonic clock in nanoseconds when it sent (one clock for the
/// whole process, so any loop can subtract it), `sender` the sending connection's index,
/// `tag` a random number naming this run (so messages of another run or client in the same
/// room are told apart). Only digits, colons and `x`: nothing to escape.
struct CommandWriter {
    let encoder = WebSocketFrameEncoder(role: .client)
    let size: Int
    let tag: UInt16
    let binary: Bool
    /// Masking keys: a cheap generator (a mask only has to be unpredictable to proxies,
    /// RFC 6455 §10.3, not secret), so no system call per frame.
    private var random: UInt64

    init(size: Int, tag: UInt16, binary: Bool, seed: UInt64) {
        self.size = size
        self.tag = tag
        self.binary = binary
        self.random = seed | 1
    }

    private mutating func nextMask() -> UInt32 {
        // xorshift64
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        return UInt32(truncatingIfNeeded: random >> 16)
    }

    /// `{"t":"join","room":R}`.
    mutating func join(room: UInt32) -> [UInt8] {
        var writer = JSONWriter(capacity: 32)
        writer.beginObject()
        writer.field("t", "join")
        writer.field("room", room)
        writer.endObject()
        return encoder.frame(.text, payload: writer.bytes, maskKey: nextMask())
    }

    /// A send of this run's text; `cid` is the decimal of a per-connection counter.
    mutating func send(room: UInt32, stamp: UInt64, sender: Int, cid: UInt64) -> [UInt8] {
        let text = Self.text(stamp: stamp, sender: sender, tag: tag, size: size)
        if binary, let frame = BinaryFrame.clientSend(
            room: UInt16(truncatingIfNeeded: room), cid: String(cid), text: String(decoding: text, as: UTF8.self)) {
            // Rooms and sizes were checked against the binary layout's limits at parse time.
            return encoder.frame(.binary, payload: frame, maskKey: nextMask())
        }
        var writer = JSONWriter(capacity: text.count + 64)
        writer.beginObject()
        writer.field("t", "send")
        writer.field("room", room)
        writer.key("text")
        writer.raw(CollectionOfOne(UInt8(ascii: "\"")) + text + CollectionOfOne(UInt8(ascii: "\"")))
        writer.key("cid")
        writer.decimalString(cid)
        writer.endObject()
        return encoder.frame(.text, payload: writer.bytes, maskKey: nextMask())
    }

    /// A pong echoing a ping's payload.
    mutating func pong(_ payload: [UInt8]) -> [UInt8] {
        encoder.pong(Array(payload.prefix(125)), maskKey: nextMask())
    }

    /// A close frame (1000, or the code to echo).
    mutating func close(code: WebSocketCloseCode = .normalClosure) -> [UInt8] {
        encoder.close(code: code, maskKey: nextMask())
    }

    /// The text of one message (see the type's comment).
    static func text(stamp: UInt64, sender: Int, tag: UInt16, size: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(size, 40))
        appendDecimal(stamp, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(max(0, sender)), to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(tag), to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        if bytes.count < size { bytes.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: size - bytes.count)) }
        return bytes
    }

    static func appendDecimal(_ value: UInt64, to bytes: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }
}
