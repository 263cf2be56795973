/// The little base64 (RFC 4648 §4) the handshake needs: encoding 16- and 20-byte values and
/// checking that a `Sec-WebSocket-Key` decodes to 16 bytes.
enum WebSocketBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes bytes with `=` padding.
    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var group = UInt32(0)
            for (offset, byte) in chunk.enumerated() { group |= UInt32(byte) << (16 - 8 * UInt32(offset)) }
            for position in 0..<4 {
                if position <= chunk.count {
                    output.append(alphabet[Int((group >> (18 - 6 * UInt32(position))) & 0x3F)])
                } else {
                    output.append(UInt8(ascii: "="))
                }
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Whether `text` is the canonical base64 of exactly 16 bytes: 22 alphabet characters,
    /// the last carrying no stray bits, then `==` (RFC 6455 §4.1 item 7).
    static func isSixteenBytes(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[22] == UInt8(ascii: "="), bytes[23] == UInt8(ascii: "=") else { return false }
        var last = 0
        for byte in bytes[0..<22] {
            guard let value = alphabet.firstIndex(of: byte) else { return false }
            last = value
        }
        // 16 bytes = 128 bits = 21 full sextets + 2 bits: the last sextet's low 4 bits are 0.
        return last & 0x0F == 0
    }
}
