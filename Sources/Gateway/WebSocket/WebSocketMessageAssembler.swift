/// Turns a byte stream into whole WebSocket messages: frames from `WebSocketFrameParser`,
/// fragments joined, permessage-deflate inflated, text checked as UTF-8.
///
///     bytes --parser--> frames --assembler--> .text / .binary   (whole, validated)
///                                             .ping / .pong / .close  (at once, even
///                                                                      between fragments)
///
/// Hot path: an unfragmented, uncompressed message is handed out in the array the parser
/// allocated for its payload (no copy); text is validated in place. Fragmented or
/// compressed messages are built in one buffer that exists only while the message is in
/// progress. Text is validated fragment by fragment, so invalid UTF-8 fails fast (1007).
/// The size limit applies after decompression (1009); errors are sticky like the parser's.
///
/// Holds the decompressor by reference: do not copy an assembler and use both copies.
public struct WebSocketMessageAssembler {
    /// The message being reassembled.
    private struct Partial {
        var opcode: WebSocketOpcode
        var compressed: Bool
    }

    private var parser: WebSocketFrameParser
    private let decompressor: PerMessageDeflateDecompressor?
    private var partial: Partial?
    /// Bytes of the message in progress; empty (no allocation) between messages.
    private var buffer: [UInt8] = []
    private var validator = UTF8Validator()
    private var failure: WebSocketError?

    /// An assembler; pass a decompressor exactly when permessage-deflate was negotiated.
    public init(configuration: WebSocketParserConfiguration, decompressor: PerMessageDeflateDecompressor? = nil) {
        precondition(configuration.permessageDeflate == (decompressor != nil), "decompressor iff permessage-deflate")
        parser = WebSocketFrameParser(configuration: configuration)
        self.decompressor = decompressor
    }

    /// The settings given at creation.
    public var configuration: WebSocketParserConfiguration { parser.configuration }

    /// Whether no frame or message is in progress (nothing buffered).
    public var isIdle: Bool { partial == nil && parser.isIdle }

    /// Consumes bytes from the front of `input` and returns the next whole message, or nil
    /// once `input` is used up. Throws on the first violation and on every call after it.
    public mutating func nextMessage(_ input: inout UnsafeRawBufferPointer) throws(WebSocketError) -> WebSocketMessage? {
        if let failure { throw failure }
        do throws(WebSocketError) {
            while let frame = try parser.nextFrame(&input) {
                if let message = try assemble(frame) { return message }
            }
            return nil
        } catch {
            failure = error
            buffer = []
            partial = nil
            throw error
        }
    }

    /// Parses every whole message in `bytes`; convenience for tests and tools.
    public mutating func messages(from bytes: [UInt8]) throws(WebSocketError) -> [WebSocketMessage] {
        try bytes.withBytes { raw throws(WebSocketError) -> [WebSocketMessage] in
            var input = raw
            var messages: [WebSocketMessage] = []
            while let message = try nextMessage(&input) { messages.append(message) }
            return messages
        }
    }

    // MARK: - Assembly

    private mutating func assemble(_ frame: WebSocketFrame) throws(WebSocketError) -> WebSocketMessage? {
        switch frame.opcode {
        case .ping: return .ping(frame.payload)
        case .pong: return .pong(frame.payload)
        case .close:
            let (code, reason) = try WebSocketClosePayload.decode(frame.payload)
            return .close(code, reason)
        case .text, .binary:
            if frame.fin && !frame.rsv1 {
                if frame.opcode == .text && !UTF8Validator.isValid(frame.payload) { throw .invalidUTF8 }
                return frame.opcode == .text ? .text(frame.payload) : .binary(frame.payload)
            }
            partial = Partial(opcode: frame.opcode, compressed: frame.rsv1)
            validator.reset()
            return try append(frame)
        case .continuation:
            return try append(frame)
        }
    }

    /// Adds a fragment to the message in progress; returns the message after the last one.
    private mutating func append(_ frame: WebSocketFrame) throws(WebSocketError) -> WebSocketMessage? {
        // The parser only yields a continuation while a message is in progress.
        guard let partial else { throw .unexpectedContinuation }
        let start = buffer.count
        if partial.compressed {
            guard let decompressor else { throw .reservedBitsSet }
            let limit = parser.configuration.maxMessageSize
            try frame.payload.withBytes { raw throws(WebSocketError) in
                try decompressor.decompress(raw, isFinal: frame.fin, into: &buffer, limit: limit)
            }
        } else if buffer.isEmpty {
            buffer = frame.payload
        } else {
            buffer.append(contentsOf: frame.payload)
        }
        if partial.opcode == .text {
            let valid = buffer.withUnsafeBytes { validator.validate(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            guard valid else { throw .invalidUTF8 }
        }
        guard frame.fin else { return nil }
        if partial.opcode == .text && !validator.isAtBoundary { throw .invalidUTF8 }
        var message: [UInt8] = []
        swap(&message, &buffer)
        self.partial = nil
        return partial.opcode == .text ? .text(message) : .binary(message)
    }
}

/// Bound to one connection on one event loop (it shares a decompressor by reference).
@available(*, unavailable)
extension WebSocketMessageAssembler: Sendable {}
