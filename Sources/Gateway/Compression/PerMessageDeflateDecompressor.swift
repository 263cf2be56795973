import CZlib

/// Inflates incoming permessage-deflate messages (RFC 7692 §7.2.2), fragment by fragment,
/// with a hard cap on the inflated size.
///
/// The cap is what defeats decompression bombs: output is produced in bounded chunks and
/// never beyond the limit; once the limit is reached a single probe byte is inflated into a
/// scratch variable to tell "done" from "more", and "more" fails with 1009. The zlib stream
/// is created on first use and freed in `deinit`. Not thread-safe: one event loop only.
public final class PerMessageDeflateDecompressor {
    /// The window the peer compresses with (9...15 bits).
    public let windowBits: Int
    /// Reset after each message (the peer does not keep its window either).
    public let noContextTakeover: Bool
    private let stream: UnsafeMutablePointer<z_stream>
    private var initialized = false
    /// Compressed bytes received for the current message.
    private var messageBytes = 0
    /// The current message's DEFLATE stream ended with a BFINAL block: the rest of the
    /// message (at least our appended tail) is ignored and the stream starts afresh.
    private var streamEnded = false

    /// A decompressor; zlib memory is only allocated by the first compressed message.
    public init(windowBits: Int = 15, noContextTakeover: Bool) {
        precondition(PerMessageDeflate.windowBitsRange.contains(windowBits), "window bits must be 8...15")
        self.windowBits = windowBits
        self.noContextTakeover = noContextTakeover
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if initialized { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates one fragment's payload, appending to `output`, which must stay within `limit`.
    ///
    /// On the final fragment the `00 00 ff ff` tail is inflated too and, without context
    /// takeover, the stream is reset. A message whose compressed payload is empty in total
    /// inflates to nothing (the tail alone would leave zlib inside a stored block). A block
    /// with BFINAL set (RFC 7692 §7.2.3.4) ends the message's data: zlib is reset at once,
    /// since the peer's compressor starts a new stream too, and what follows is ignored.
    public func decompress(
        _ fragment: UnsafeRawBufferPointer, isFinal: Bool, into output: inout [UInt8], limit: Int
    ) throws(WebSocketError) {
        try start()
        messageBytes &+= fragment.count
        if !streamEnded { try inflate(fragment, into: &output, limit: limit) }
        guard isFinal else { return }
        defer {
            messageBytes = 0
            streamEnded = false
        }
        if messageBytes > 0 && !streamEnded {
            try PerMessageDeflate.tail.withBytes { tail throws(WebSocketError) in
                try inflate(tail, into: &output, limit: limit)
            }
        }
        if noContextTakeover { inflateReset(stream) }
    }

    /// Inflates a whole single-frame message; convenience for tests and the client.
    public func decompress(_ message: [UInt8], limit: Int) throws(WebSocketError) -> [UInt8] {
        var output: [UInt8] = []
        try message.withBytes { raw throws(WebSocketError) in
            try decompress(raw, isFinal: true, into: &output, limit: limit)
        }
        return output
    }

    /// Creates the zlib stream on first use.
    private func start() throws(WebSocketError) {
        guard !initialized else { return }
        guard chat_inflateInit2(stream, -Int32(windowBits)) == Z_OK else { throw .compressionFailure }
        initialized = true
    }

    /// Feeds `input` to zlib until it is consumed and all output is flushed.
    private func inflate(_ input: UnsafeRawBufferPointer, into output: inout [UInt8], limit: Int) throws(WebSocketError) {
        guard let base = input.baseAddress, input.count > 0 else { return }
        guard input.count <= Int(UInt32.max) else { throw .messageTooBig }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = nil
        }
        while true {
            let consumedBefore = stream.pointee.avail_in
            let room = max(0, limit &- output.count)
            var status = Z_OK
            var produced = 0
            if room == 0 {
                // At the cap: inflate one probe byte to learn whether more output is pending.
                var probe: UInt8 = 0
                withUnsafeMutablePointer(to: &probe) { pointer in
                    stream.pointee.next_out = pointer
                    stream.pointee.avail_out = 1
                    status = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    stream.pointee.next_out = nil
                }
                produced = 1 &- Int(stream.pointee.avail_out)
                if produced > 0 { throw .messageTooBig }
            } else {
                let chunk = min(room, max(1024, min(input.count, 16 * 1024) &* 4))
                let start = output.count
                output.append(contentsOf: repeatElement(0, count: chunk))
                output.withUnsafeMutableBufferPointer { buffer in
                    stream.pointee.next_out = buffer.baseAddress.map { $0 + start }
                    stream.pointee.avail_out = uInt(chunk)
                    status = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    stream.pointee.next_out = nil
                }
                produced = chunk &- Int(stream.pointee.avail_out)
                output.removeLast(chunk &- produced)
            }
            switch status {
            case Z_OK, Z_BUF_ERROR: break
            case Z_STREAM_END:
                inflateReset(stream)
                streamEnded = true
                return
            case Z_MEM_ERROR: throw .compressionFailure
            default: throw .invalidCompressedData
            }
            if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
            if produced == 0 && stream.pointee.avail_in == consumedBefore {
                throw .invalidCompressedData  // no progress: never spin
            }
        }
    }
}

/// Bound to one event loop: a zlib stream must not be used from two threads.
@available(*, unavailable)
extension PerMessageDeflateDecompressor: Sendable {}
