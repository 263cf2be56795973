import Actors
import Synchronization

/// A text or binary message to send to many connections: its frames are built at most
/// once each (plain at creation, compressed on first need for connections with
/// permessage-deflate) and shared by every recipient. Immutable apart from that cached
/// compressed frame, so it may be handed between actors on the loop.
public final class OutboundMessage: Sendable {
    /// Text or binary.
    public let opcode: WebSocketOpcode
    /// The payload before framing.
    public let payload: [UInt8]
    /// Priority class of the message.
    public let priority: MessagePriority
    /// The uncompressed frame.
    public let plainFrame: OutboundFrame
    private let deflated = Mutex<OutboundFrame??>(nil)

    /// A message; its plain frame is built now.
    public init(opcode: WebSocketOpcode = .text, payload: [UInt8], priority: MessagePriority = .normal) {
        self.opcode = opcode
        self.payload = payload
        self.priority = priority
        let bytes = WebSocketFrameEncoder(role: .server).frame(opcode, payload: payload)
        self.plainFrame = OutboundFrame(copying: bytes, priority: priority)
    }

    /// The compressed frame (nil when compression does not pay), made with `compressor`,
    /// which must be free of context takeover and belong to the calling loop. Built once
    /// whatever the number of loops: the first loop to ask compresses under the lock.
    func deflatedFrame(using compressor: PerMessageDeflateCompressor) -> OutboundFrame? {
        deflated.withLock { cached -> OutboundFrame? in
            if let frame = cached { return frame }
            var frame: OutboundFrame?
            if compressor.shouldCompress(payload.count), let compressed = try? compressor.compress(payload),
               compressed.count < payload.count
            {
                let bytes = WebSocketFrameEncoder(role: .server).frame(opcode, payload: compressed, rsv1: true)
                frame = OutboundFrame(copying: bytes, priority: priority)
            }
            cached = .some(frame)
            return frame
        }
    }
}
