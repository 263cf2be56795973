import Gateway

/// The common case of a server's frame, read where it lies: a whole, unfragmented,
/// unmasked text or binary frame without reserved bits, of at most 65,535 bytes.
///
/// The Gateway's `WebSocketMessageAssembler` copies every payload into an array of its own
/// (an allocation per frame, the largest user-space cost of a delivery in a profile of a
/// 2,000-connection fan-out). While the assembler holds nothing, frames of this shape are
/// handed out in place instead; anything else (control frames, fragments, 64-bit lengths,
/// a frame cut by the end of the read, a length not in its shortest form, text that is not
/// UTF-8, a masked frame) is left to the assembler, which applies every rule of RFC 6455.
enum InPlaceFrame {
    /// The frame at the front of `input`: its opcode, payload and total size; nil when the
    /// assembler must take over.
    static func next(_ input: UnsafeRawBufferPointer) -> (opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, size: Int)? {
        guard input.count >= 2 else { return nil }
        let opcode: WebSocketOpcode
        switch input[0] {
        case 0x81: opcode = .text
        case 0x82: opcode = .binary
        default: return nil
        }
        let short = Int(input[1])
        guard short & 0x80 == 0 else { return nil }
        var header = 2
        var length = short
        if short == 126 {
            guard input.count >= 4 else { return nil }
            length = Int(input[2]) << 8 | Int(input[3])
            guard length >= 126 else { return nil }
            header = 4
        } else if short == 127 {
            return nil
        }
        guard input.count >= header + length else { return nil }
        let payload = UnsafeRawBufferPointer(rebasing: input[header..<(header + length)])
        if opcode == .text && !UTF8Validator.isValid(payload) { return nil }
        return (opcode, payload, header + length)
    }
}
