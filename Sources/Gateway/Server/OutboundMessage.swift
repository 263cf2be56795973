import Actors

/// A text or binary message to send to many connections: its frames are built at most
/// once each (plain, and compressed for connections with permessage-deflate) and shared by
/// every recipient.
public final class OutboundMessage {
    /// Text or binary.
    public let opcode: WebSocketOpcode
    /// The payload before framing.
    public let payload: [UInt8]
    /// Priority class of the message.
    public let priority: MessagePriority
    private var plain: OutboundFrame?
    private var deflated: OutboundFrame??

    /// A message; frames are built on first use.
    public init(opcode: WebSocketOpcode = .text, payload: [UInt8], priority: MessagePriority = .normal) {
        self.opcode = opcode
        self.payload = payload
        self.priority = priority
    }

    /// The uncompressed frame.
    public var plainFrame: OutboundFrame {
        if let plain { return plain }
        let encoder = WebSocketFrameEncoder(role: .server)
        let bytes = encoder.frame(opcode, payload: payload)
        let frame = OutboundFrame(copying: bytes, priority: priority)
        plain = frame
        return frame
    }

    /// The compressed frame (nil when compression does not pay), made with `compressor`,
    /// which must be free of context takeover.
    func deflatedFrame(using compressor: PerMessageDeflateCompressor) -> OutboundFrame? {
        if let deflated { return deflated }
        var frame: OutboundFrame?
        if compressor.shouldCompress(payload.count), let compressed = try? compressor.compress(payload),
           compressed.count < payload.count
        {
            let bytes = WebSocketFrameEncoder(role: .server).frame(opcode, payload: compressed, rsv1: true)
            frame = OutboundFrame(copying: bytes, priority: priority)
        }
        deflated = .some(frame)
        return frame
    }
}
