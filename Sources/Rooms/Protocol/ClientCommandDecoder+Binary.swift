extension ClientCommandDecoder {
    /// Decodes a client's binary frame (see ``BinaryFrame``) into the same commands as JSON,
    /// so that room logic is shared: type 1 → ``ClientCommand/send(room:text:cid:)``, 2 →
    /// ``ClientCommand/typing(room:)``, 3 → ``ClientCommand/read(room:id:)``.
    ///
    /// `bad_request`: short header, length not matching the frame (short or trailing bytes),
    /// unknown type, type 4 (node only), a typing payload that is not empty, a read payload
    /// that is not 8 bytes, a cid or text that is not UTF-8, a cid over 64 scalars, empty text.
    /// `too_large` (with the cid, if any): text over ``maxTextBytes``.
    public func decodeBinary(_ frame: UnsafeRawBufferPointer) throws(ProtocolError) -> ClientCommand {
        let header = try BinaryFrame.Header(parsing: frame)
        let payload = UnsafeRawBufferPointer(rebasing: frame[BinaryFrame.headerSize...])
        let room = UInt32(header.roomID)
        switch header.kind {
        case .message:
            guard let cidCount = payload.first.map(Int.init), cidCount < payload.count else {
                throw .badRequest("binary send: payload shorter than its cid")
            }
            let cidBytes = UnsafeRawBufferPointer(rebasing: payload[1..<(1 + cidCount)])
            guard let cid = String(validating: cidBytes, as: UTF8.self),
                  Self.isValidCID(cidBytes, allowEmpty: true) else {
                throw .badRequest("binary send: cid must be UTF-8 of at most 64 characters")
            }
            let knownCID: String? = cid.isEmpty ? nil : cid
            let textBytes = UnsafeRawBufferPointer(rebasing: payload[(1 + cidCount)...])
            try checkTextSize(textBytes.count, cid: knownCID)
            guard let text = String(validating: textBytes, as: UTF8.self) else {
                throw .badRequest("binary send: text is not UTF-8", cid: knownCID)
            }
            return .send(room: room, text: text, cid: cid)
        case .typing:
            guard payload.isEmpty else { throw .badRequest("binary typing: payload must be empty") }
            return .typing(room: room)
        case .read:
            guard payload.count == 8 else { throw .badRequest("binary read: payload must be an 8-byte id") }
            return .read(room: room, id: payload.bigEndian(UInt64.self, at: 0))
        case .ack:
            throw .badRequest("binary frame: type 4 is sent by the node only")
        }
    }

    /// Decodes a client's binary frame held in an array.
    public func decodeBinary(_ frame: [UInt8]) throws(ProtocolError) -> ClientCommand {
        let result = frame.withUnsafeBytes { buffer in
            Result { () throws(ProtocolError) -> ClientCommand in try decodeBinary(buffer) }
        }
        return try result.get()
    }
}
