/// XOR masking of payloads (RFC 6455 §5.3), 8 bytes at a time.
///
/// The 4-byte key is held as a `UInt32` whose least significant byte is the first key
/// byte on the wire (`key[0] | key[1] << 8 | ...`). Byte `i` of a payload is XORed with
/// `key[i % 4]`; `offset` says how far into the frame's payload a chunk starts.
public enum WebSocketMask {
    /// XORs `count` bytes from `source` into `destination` (which may be the same memory).
    ///
    /// Used by the parser to copy and unmask in one pass, by the encoder to mask.
    @inlinable
    public static func apply(
        key: UInt32, offset: Int,
        from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, count: Int
    ) {
        // Rotate the key so that its first byte lines up with `offset`.
        let shift = UInt32(truncatingIfNeeded: offset & 3) &* 8
        let rotated = (key &>> shift) | (shift == 0 ? 0 : key &<< (32 &- shift))
        let wide = UInt64(littleEndian: UInt64(rotated) | UInt64(rotated) &<< 32)
        var index = 0
        while count &- index >= 8 {
            let word = source.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            destination.storeBytes(of: word ^ wide, toByteOffset: index, as: UInt64.self)
            index &+= 8
        }
        var keyBytes = rotated
        while index < count {
            let byte = source.load(fromByteOffset: index, as: UInt8.self)
            destination.storeBytes(of: byte ^ UInt8(truncatingIfNeeded: keyBytes), toByteOffset: index, as: UInt8.self)
            keyBytes = keyBytes &>> 8 | keyBytes &<< 24
            index &+= 1
        }
    }

    /// Unmasks (or masks) a buffer in place, starting `offset` bytes into the frame payload.
    @inlinable
    public static func apply(key: UInt32, offset: Int, inPlace buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        apply(key: key, offset: offset, from: UnsafeRawPointer(base), to: base, count: buffer.count)
    }

    /// Builds the key value from the four key bytes in wire order.
    @inlinable
    public static func key(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) -> UInt32 {
        UInt32(b0) | UInt32(b1) &<< 8 | UInt32(b2) &<< 16 | UInt32(b3) &<< 24
    }
}
