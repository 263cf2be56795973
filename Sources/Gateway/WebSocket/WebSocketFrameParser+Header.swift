/// The decoded fixed part of a frame, once its header bytes are complete.
struct WebSocketFrameHeader: Sendable {
    var fin: Bool
    var rsv1: Bool
    var opcode: WebSocketOpcode
    /// The masking key (first wire byte least significant), nil for unmasked frames.
    var maskKey: UInt32?
    /// Payload length, already checked against the limits.
    var length: Int
}

/// Up to 14 header bytes kept inline (two words), so an idle parser owns no heap memory.
struct WebSocketHeaderBytes: Sendable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    /// Bytes collected so far.
    private(set) var count: Int = 0
    /// Header length: 2 until the first two bytes tell the real size (at most 14).
    var required: Int = 2

    /// The byte at `index`, which must be below `count`.
    subscript(index: Int) -> UInt8 {
        let shift = UInt64(truncatingIfNeeded: index & 7) &* 8
        return UInt8(truncatingIfNeeded: (index < 8 ? low : high) &>> shift)
    }

    /// Moves bytes from `input` until `required` are held; true once they are.
    mutating func fill(from input: inout UnsafeRawBufferPointer) -> Bool {
        let take = min(required &- count, input.count)
        guard take > 0 else { return count >= required }
        for index in 0..<take {
            let byte = UInt64(input[index])
            let shift = UInt64(truncatingIfNeeded: count & 7) &* 8
            if count < 8 { low |= byte &<< shift } else { high |= byte &<< shift }
            count &+= 1
        }
        input = UnsafeRawBufferPointer(rebasing: input[take...])
        return count >= required
    }
}

extension WebSocketFrameParser {
    // MARK: - Header

    /// Collects header bytes; returns the header once complete and valid.
    mutating func readHeader(
        _ bytes: inout WebSocketHeaderBytes, _ input: inout UnsafeRawBufferPointer
    ) throws(WebSocketError) -> WebSocketFrameHeader? {
        if bytes.count < 2 {
            guard bytes.fill(from: &input) else { return nil }
            bytes.required = try headerLength(bytes[0], bytes[1])
        }
        guard bytes.fill(from: &input) else { return nil }
        return try decodeHeader(bytes)
    }

    /// Checks the first two bytes (fail fast, before the rest arrives) and returns the
    /// header's full length: 2, plus 2 or 8 for an extended length, plus 4 for a mask.
    private func headerLength(_ first: UInt8, _ second: UInt8) throws(WebSocketError) -> Int {
        guard first & 0x30 == 0 else { throw .reservedBitsSet }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else {
            throw .unknownOpcode(first & 0x0F)
        }
        let fin = first & 0x80 != 0
        let rsv1 = first & 0x40 != 0
        let masked = second & 0x80 != 0
        let length7 = second & 0x7F
        switch configuration.role {
        case .server: guard masked else { throw .unmaskedClientFrame }
        case .client: guard !masked else { throw .maskedServerFrame }
        }
        if opcode.isControl {
            guard !rsv1 else { throw .reservedBitsSet }
            guard fin else { throw .fragmentedControlFrame }
            guard length7 <= 125 else { throw .controlFrameTooLong }
        } else if opcode == .continuation {
            guard message != nil else { throw .unexpectedContinuation }
            guard !rsv1 else { throw .reservedBitsSet }
        } else {
            guard message == nil else { throw .expectedContinuation }
            guard !rsv1 || configuration.permessageDeflate else { throw .reservedBitsSet }
        }
        let extended = length7 == 126 ? 2 : (length7 == 127 ? 8 : 0)
        return 2 + extended + (masked ? 4 : 0)
    }

    /// Decodes a complete header, checks the length rules and the message size limit, and
    /// records the fragmented message in progress.
    private mutating func decodeHeader(_ bytes: WebSocketHeaderBytes) throws(WebSocketError) -> WebSocketFrameHeader {
        let first = bytes[0]
        let second = bytes[1]
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else { throw .unknownOpcode(first & 0x0F) }
        let fin = first & 0x80 != 0
        let rsv1 = first & 0x40 != 0
        var length = UInt64(second & 0x7F)
        var cursor = 2
        if length == 126 {
            length = UInt64(bytes[2]) &<< 8 | UInt64(bytes[3])
            cursor = 4
            guard length >= 126 else { throw .nonMinimalLength }
        } else if length == 127 {
            length = 0
            for index in 2..<10 { length = length &<< 8 | UInt64(bytes[index]) }
            cursor = 10
            guard length & (1 &<< 63) == 0 else { throw .lengthHighBitSet }
            guard length > 0xFFFF else { throw .nonMinimalLength }
        }
        var maskKey: UInt32?
        if second & 0x80 != 0 {
            maskKey = WebSocketMask.key(bytes[cursor], bytes[cursor &+ 1], bytes[cursor &+ 2], bytes[cursor &+ 3])
        }
        if !opcode.isControl {
            let compressed = opcode == .continuation ? (message?.compressed ?? false) : rsv1
            let limit = compressed ? configuration.maxCompressedMessageSize : configuration.maxMessageSize
            let soFar = opcode == .continuation ? (message?.size ?? 0) : 0
            guard length <= UInt64(max(0, limit &- soFar)) else { throw .messageTooBig }
            message = fin ? nil : MessageProgress(compressed: compressed, size: soFar &+ Int(length))
        }
        return WebSocketFrameHeader(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: maskKey, length: Int(length))
    }
}
