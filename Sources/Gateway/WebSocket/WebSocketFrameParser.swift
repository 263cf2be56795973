/// A pure, incremental WebSocket frame parser (RFC 6455 §5) fed any split of the stream.
///
/// The caller hands it whatever a read returned; the parser consumes bytes from the front
/// of the buffer and returns a frame whenever one is complete:
///
///     var input = UnsafeRawBufferPointer(readBuffer)
///     while let frame = try parser.nextFrame(&input) { handle(frame) }
///
/// States (one explicit enum):
///
///     header(partial bytes) --complete header--> payload(header, remaining)
///            ^                                          |
///            +------ frame yielded (length 0: at once) --+
///     any --peer error--> failed(error)   (sticky: every later call rethrows it)
///
/// Memory: an idle parser holds 16 header bytes inline and an empty array: no heap at
/// all. A payload buffer is allocated once the header is known and handed to the caller
/// with the frame. When the whole payload is already in the input (the usual case for
/// small messages) it is copied and unmasked in one pass into a single allocation.
///
/// Lengths: a 64-bit length with its top bit set, and 16/64-bit lengths that would fit a
/// shorter encoding, are protocol errors (1002), as RFC 6455 §5.2 says "MUST". A data frame
/// that would take its message over the configured limit fails with 1009 before anything
/// is allocated.
///
/// Message-level rules the parser also enforces (they need the frame sequence): a
/// continuation needs a message in progress, a new text/binary frame needs none, RSV1 is
/// allowed only with permessage-deflate and only on a message's first frame. Control frames
/// may arrive between fragments and are yielded at once. Frames after a close frame are
/// still parsed: the connection state machine decides to stop reading.
public struct WebSocketFrameParser: Sendable {
    /// Where the parser stands in the byte stream.
    enum State: Sendable {
        /// Collecting a frame header; an empty accumulator means idle.
        case header(WebSocketHeaderBytes)
        /// Collecting `remaining` more payload bytes of the frame described by the header.
        case payload(WebSocketFrameHeader, remaining: Int)
        /// The peer broke the protocol; the connection must close with the error's code.
        case failed(WebSocketError)
    }

    /// The fragmented message in progress, if any.
    struct MessageProgress: Sendable {
        /// Whether its first frame had RSV1 set (permessage-deflate).
        var compressed: Bool
        /// Payload bytes announced so far, on the wire.
        var size: Int
    }

    /// The settings given at creation.
    public let configuration: WebSocketParserConfiguration
    var state: State = .header(WebSocketHeaderBytes())
    /// Payload of the frame being collected; empty (no allocation) between frames.
    var payload: [UInt8] = []
    /// Non-nil between the first and the final frame of a fragmented data message.
    var message: MessageProgress?

    /// A parser for one connection.
    public init(configuration: WebSocketParserConfiguration) {
        self.configuration = configuration
    }

    /// Whether the parser sits between frames and between messages, holding no bytes.
    public var isIdle: Bool {
        guard message == nil, case .header(let bytes) = state else { return false }
        return bytes.count == 0
    }

    /// Consumes bytes from the front of `input` and returns the next complete frame.
    ///
    /// Returns nil once `input` is exhausted without completing a frame (the partial frame
    /// is kept). Throws on the first protocol violation and on every call after it.
    public mutating func nextFrame(_ input: inout UnsafeRawBufferPointer) throws(WebSocketError) -> WebSocketFrame? {
        if case .failed(let error) = state { throw error }
        do throws(WebSocketError) {
            return try parse(&input)
        } catch {
            state = .failed(error)
            payload = []
            message = nil
            throw error
        }
    }

    /// Parses every complete frame in `bytes`; convenience for tests and tools.
    public mutating func frames(from bytes: [UInt8]) throws(WebSocketError) -> [WebSocketFrame] {
        try bytes.withBytes { raw throws(WebSocketError) -> [WebSocketFrame] in
            var input = raw
            var frames: [WebSocketFrame] = []
            while let frame = try nextFrame(&input) { frames.append(frame) }
            return frames
        }
    }

    // MARK: - Payload

    private mutating func parse(_ input: inout UnsafeRawBufferPointer) throws(WebSocketError) -> WebSocketFrame? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .header(var bytes):
                guard let header = try readHeader(&bytes, &input) else {
                    state = .header(bytes)
                    return nil
                }
                if header.length == 0 { return try complete(header) }
                if input.count >= header.length {
                    payload = Self.copyPayload(header, from: input)
                    input = UnsafeRawBufferPointer(rebasing: input[header.length...])
                    return try complete(header)
                }
                payload.reserveCapacity(min(header.length, max(input.count, 16 * 1024)))
                state = .payload(header, remaining: header.length)
            case .payload(let header, let remaining):
                guard !input.isEmpty else { return nil }
                let take = min(remaining, input.count)
                appendPayload(header, UnsafeRawBufferPointer(rebasing: input[..<take]))
                input = UnsafeRawBufferPointer(rebasing: input[take...])
                if take < remaining {
                    state = .payload(header, remaining: remaining &- take)
                    return nil
                }
                return try complete(header)
            }
        }
    }

    /// Copies (and unmasks) a whole payload into one new array.
    private static func copyPayload(_ header: WebSocketFrameHeader, from input: UnsafeRawBufferPointer) -> [UInt8] {
        let count = header.length
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let source = input.baseAddress, let destination = buffer.baseAddress {
                if let key = header.maskKey {
                    WebSocketMask.apply(key: key, offset: 0, from: source, to: destination, count: count)
                } else {
                    destination.initialize(from: source.assumingMemoryBound(to: UInt8.self), count: count)
                }
            }
            initialized = count
        }
    }

    /// Appends part of a payload that arrives over several reads, unmasking the new bytes.
    private mutating func appendPayload(_ header: WebSocketFrameHeader, _ chunk: UnsafeRawBufferPointer) {
        let start = payload.count
        if payload.capacity - start < chunk.count {
            payload.reserveCapacity(min(header.length, max(start &* 2, start &+ chunk.count)))
        }
        payload.append(contentsOf: chunk)
        guard let key = header.maskKey else { return }
        payload.withUnsafeMutableBytes { all in
            WebSocketMask.apply(key: key, offset: start, inPlace: UnsafeMutableRawBufferPointer(rebasing: all[start...]))
        }
    }

    /// Hands out the collected payload as a frame and returns to the idle state.
    private mutating func complete(_ header: WebSocketFrameHeader) throws(WebSocketError) -> WebSocketFrame {
        var body: [UInt8] = []
        swap(&body, &payload)
        state = .header(WebSocketHeaderBytes())
        if header.opcode == .close { _ = try WebSocketClosePayload.decode(body) }
        return WebSocketFrame(fin: header.fin, rsv1: header.rsv1, opcode: header.opcode, payload: body)
    }
}
