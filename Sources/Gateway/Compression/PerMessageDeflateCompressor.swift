import CZlib

/// Compresses outgoing messages for permessage-deflate (RFC 7692 §7.2.1).
///
/// Owns one zlib raw-deflate stream, created on first use (an idle connection holds no zlib
/// memory) and freed in `deinit`. With `noContextTakeover` the stream is reset after every
/// message, so its output depends only on the payload: the frame can be shared among all
/// recipients that negotiated the same window. Not thread-safe: confine an instance to one
/// event loop.
public final class PerMessageDeflateCompressor {
    /// LZ77 window, 9...15 bits.
    public let windowBits: Int
    /// Reset after each message instead of keeping the window for the next one.
    public let noContextTakeover: Bool
    /// Payloads shorter than this are not worth compressing.
    public let minimumSize: Int
    private let level: Int32
    private let memoryLevel: Int32
    private let stream: UnsafeMutablePointer<z_stream>
    private var initialized = false

    /// A compressor; zlib memory is only allocated by the first `compress`.
    public init(windowBits: Int = 15, noContextTakeover: Bool, minimumSize: Int = 64, level: Int32 = 6, memoryLevel: Int32 = 8) {
        precondition((9...15).contains(windowBits), "zlib deflate needs 9...15 window bits")
        self.windowBits = windowBits
        self.noContextTakeover = noContextTakeover
        self.minimumSize = minimumSize
        self.level = level
        self.memoryLevel = memoryLevel
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if initialized { deflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Whether a payload of this size should be compressed at all.
    public func shouldCompress(_ count: Int) -> Bool {
        count >= minimumSize
    }

    /// Compresses one whole message; the result has the `00 00 ff ff` tail removed.
    ///
    /// Throws `.compressionFailure` (1011) only if zlib itself fails (out of memory).
    public func compress(_ input: UnsafeRawBufferPointer) throws(WebSocketError) -> [UInt8] {
        try start()
        guard input.count <= Int(UInt32.max) else { throw .compressionFailure }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(input.count))) &+ 16)
        var produced = 0
        while true {
            if output.count &- produced < 64 { output.append(contentsOf: repeatElement(0, count: max(256, output.count))) }
            var status = Z_OK
            output.withUnsafeMutableBufferPointer { buffer in
                stream.pointee.next_out = buffer.baseAddress.map { $0 + produced }
                stream.pointee.avail_out = uInt(buffer.count &- produced)
                status = deflate(stream, Z_SYNC_FLUSH)
                produced = buffer.count &- Int(stream.pointee.avail_out)
                stream.pointee.next_out = nil
            }
            guard status == Z_OK || status == Z_BUF_ERROR else { throw .compressionFailure }
            if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { break }
        }
        output.removeLast(output.count &- produced)
        if output.count >= 4 && output.suffix(4).elementsEqual(PerMessageDeflate.tail) { output.removeLast(4) }
        if noContextTakeover { deflateReset(stream) }
        return output
    }

    /// Compresses one whole message held in an array.
    public func compress(_ input: [UInt8]) throws(WebSocketError) -> [UInt8] {
        try input.withBytes { raw throws(WebSocketError) in try compress(raw) }
    }

    /// Creates the zlib stream on first use.
    private func start() throws(WebSocketError) {
        guard !initialized else { return }
        let status = chat_deflateInit2(stream, level, -Int32(windowBits), memoryLevel)
        guard status == Z_OK else { throw .compressionFailure }
        initialized = true
    }
}

/// Bound to one event loop: a zlib stream must not be used from two threads.
@available(*, unavailable)
extension PerMessageDeflateCompressor: Sendable {}
