/// Builds WebSocket frames (RFC 6455 §5.2) into contiguous byte arrays.
///
/// A frame is built once, header and payload in one allocation, so the server can hand
/// the same array (copy-on-write, never copied) to every recipient's write queue:
///
///     let frame = encoder.frame(.text, payloadCount: json.count) { json.copyBytes(to: $0) }
///     for connection in room { connection.enqueue(frame) }
///
/// A server never masks. A client masks every frame, with the given key or a random one.
public struct WebSocketFrameEncoder: Sendable {
    /// Which side we write for: decides masking.
    public let role: WebSocketRole

    /// An encoder for one side.
    public init(role: WebSocketRole) {
        self.role = role
    }

    /// Size of the header for a payload of `count` bytes: 2, plus 2 or 8, plus 4 if masked.
    public static func headerLength(payloadCount count: Int, masked: Bool) -> Int {
        (count < 126 ? 2 : (count <= 0xFFFF ? 4 : 10)) + (masked ? 4 : 0)
    }

    /// Builds a frame whose payload `fill` writes in place, right after the header.
    ///
    /// `fill` must initialize all `payloadCount` bytes; a client's payload is masked
    /// afterwards. The one primitive the other methods use.
    public func frame(
        _ opcode: WebSocketOpcode, payloadCount: Int, fin: Bool = true, rsv1: Bool = false, maskKey: UInt32? = nil,
        fill: (UnsafeMutableRawBufferPointer) -> Void
    ) -> [UInt8] {
        let key = resolveKey(opcode, payloadCount: payloadCount, fin: fin, maskKey: maskKey)
        let total = Self.headerLength(payloadCount: payloadCount, masked: key != nil) + payloadCount
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            Self.write(into: UnsafeMutableRawBufferPointer(buffer), opcode, payloadCount, fin, rsv1, key, fill)
            initialized = total
        }
    }

    /// Builds a frame carrying a copy of `payload`.
    public func frame(
        _ opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, fin: Bool = true, rsv1: Bool = false, maskKey: UInt32? = nil
    ) -> [UInt8] {
        frame(opcode, payloadCount: payload.count, fin: fin, rsv1: rsv1, maskKey: maskKey) { destination in
            destination.copyMemory(from: payload)
        }
    }

    /// Builds a frame carrying a copy of `payload`.
    public func frame(
        _ opcode: WebSocketOpcode, payload: [UInt8], fin: Bool = true, rsv1: Bool = false, maskKey: UInt32? = nil
    ) -> [UInt8] {
        payload.withUnsafeBytes { frame(opcode, payload: $0, fin: fin, rsv1: rsv1, maskKey: maskKey) }
    }

    /// Appends a frame to `buffer` in place, to batch several frames into one write.
    public func append(
        _ opcode: WebSocketOpcode, payload: [UInt8], fin: Bool = true, rsv1: Bool = false, maskKey: UInt32? = nil,
        to buffer: inout [UInt8]
    ) {
        let key = resolveKey(opcode, payloadCount: payload.count, fin: fin, maskKey: maskKey)
        let start = buffer.count
        let total = Self.headerLength(payloadCount: payload.count, masked: key != nil) + payload.count
        buffer.append(contentsOf: repeatElement(0, count: total))
        payload.withUnsafeBytes { source in
            buffer.withUnsafeMutableBytes { all in
                let region = UnsafeMutableRawBufferPointer(rebasing: all[start...])
                Self.write(into: region, opcode, payload.count, fin, rsv1, key) { $0.copyMemory(from: source) }
            }
        }
    }

    /// A single-frame text message.
    public func text(_ text: String, maskKey: UInt32? = nil) -> [UInt8] {
        frame(.text, payload: Array(text.utf8), maskKey: maskKey)
    }

    /// A single-frame binary message.
    public func binary(_ bytes: [UInt8], maskKey: UInt32? = nil) -> [UInt8] {
        frame(.binary, payload: bytes, maskKey: maskKey)
    }

    /// A ping (payload at most 125 bytes).
    public func ping(_ payload: [UInt8] = [], maskKey: UInt32? = nil) -> [UInt8] {
        frame(.ping, payload: payload, maskKey: maskKey)
    }

    /// A pong, usually echoing a ping's payload (at most 125 bytes).
    public func pong(_ payload: [UInt8] = [], maskKey: UInt32? = nil) -> [UInt8] {
        frame(.pong, payload: payload, maskKey: maskKey)
    }

    /// A close frame; a reason over 123 bytes is truncated on a character boundary.
    public func close(code: WebSocketCloseCode?, reason: String = "", maskKey: UInt32? = nil) -> [UInt8] {
        frame(.close, payload: WebSocketClosePayload.encode(code: code, reason: reason), maskKey: maskKey)
    }

    /// A single-frame data message, compressed (RSV1 set) when a compressor is given and the
    /// payload is at least its minimum size.
    ///
    /// Falls back to the raw payload when compressing does not shrink it, but only without
    /// context takeover: with takeover the compressor's window already holds the message.
    public func message(
        _ opcode: WebSocketOpcode, payload: [UInt8], compressor: PerMessageDeflateCompressor?, maskKey: UInt32? = nil
    ) throws(WebSocketError) -> [UInt8] {
        precondition(opcode == .text || opcode == .binary, "messages are text or binary")
        guard let compressor, compressor.shouldCompress(payload.count) else {
            return frame(opcode, payload: payload, maskKey: maskKey)
        }
        let compressed = try compressor.compress(payload)
        if compressor.noContextTakeover && compressed.count >= payload.count {
            return frame(opcode, payload: payload, maskKey: maskKey)
        }
        return frame(opcode, payload: compressed, rsv1: true, maskKey: maskKey)
    }

    // MARK: - Writing

    /// Checks the programmer's arguments and picks the masking key (random for a client).
    private func resolveKey(_ opcode: WebSocketOpcode, payloadCount: Int, fin: Bool, maskKey: UInt32?) -> UInt32? {
        precondition(payloadCount >= 0, "negative payload size")
        precondition(!opcode.isControl || (fin && payloadCount <= 125), "control frames: unfragmented, <= 125 bytes")
        precondition(role == .client || maskKey == nil, "a server never masks")
        return role == .client ? (maskKey ?? UInt32.random(in: .min ... .max)) : nil
    }

    /// Writes header, payload (through `fill`) and masking into `buffer`, sized exactly.
    private static func write(
        into buffer: UnsafeMutableRawBufferPointer, _ opcode: WebSocketOpcode, _ count: Int, _ fin: Bool, _ rsv1: Bool,
        _ key: UInt32?, _ fill: (UnsafeMutableRawBufferPointer) -> Void
    ) {
        buffer[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode.rawValue
        let maskBit: UInt8 = key == nil ? 0 : 0x80
        var cursor = 2
        if count < 126 {
            buffer[1] = maskBit | UInt8(truncatingIfNeeded: count)
        } else if count <= 0xFFFF {
            buffer[1] = maskBit | 126
            buffer[2] = UInt8(truncatingIfNeeded: count &>> 8)
            buffer[3] = UInt8(truncatingIfNeeded: count)
            cursor = 4
        } else {
            buffer[1] = maskBit | 127
            for index in 0..<8 { buffer[2 + index] = UInt8(truncatingIfNeeded: UInt64(count) &>> (56 - 8 * UInt64(index))) }
            cursor = 10
        }
        if let key {
            for index in 0..<4 { buffer[cursor + index] = UInt8(truncatingIfNeeded: key &>> (8 * UInt32(index))) }
            cursor += 4
        }
        let payload = UnsafeMutableRawBufferPointer(rebasing: buffer[cursor...])
        fill(payload)
        if let key { WebSocketMask.apply(key: key, offset: 0, inPlace: payload) }
    }
}
