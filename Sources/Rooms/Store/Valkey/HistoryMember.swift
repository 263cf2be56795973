import Shards

/// One message as a member of a history sorted set (`room:{R}:msgs`, `dm:{A:B}:msgs`),
/// where every score is 0 and `ZRANGEBYLEX` orders members by their bytes:
///
/// ```
/// member  = id (8 bytes, big-endian) ++ ZstdCodec.encode(payload)
///                                       [0x00] payload            (payload <= 512 bytes)
///                                       [0x01] zstd frame         (longer, if smaller)
/// payload = version  1 byte   = 1
///           flags    1 byte   bit 0: `edited` present; other bits must be 0
///           from     4 bytes  big-endian UInt32
///           ts       8 bytes  big-endian Int64 (two's complement)
///           edited   8 bytes  big-endian Int64, only when flag bit 0 is set
///           text     the rest: UTF-8, any length (may hold NUL), no terminator
/// ```
///
/// Why this shape: the id first makes lex order id order, exact for all 64 bits (scores
/// are doubles, exact only to 2^53); the fixed header keeps a 20-byte text at 34 bytes
/// stored; the codec's flag byte lets long texts be compressed and the threshold change
/// without migrating data. Decoding trusts nothing: a short member, an unknown version or
/// flag, a bad zstd frame or invalid UTF-8 is `.corrupt`, never a trap.
enum HistoryMember {
    /// Version byte of the payload layout above.
    static let version: UInt8 = 1
    /// Flag bit: an `edited` time follows `ts`.
    static let editedFlag: UInt8 = 0x01
    /// Bytes of the id prefix.
    static let idSize = 8
    /// Bytes of the payload header without `edited`.
    static let headerSize = 1 + 1 + 4 + 8

    /// The member of `message`. Throws `.corrupt` only when the codec refuses (a text over
    /// its 1 MiB limit), which the caller reports instead of storing.
    static func encode(_ message: StoredMessage, codec: ZstdCodec) throws(StoreError) -> [UInt8] {
        let text = message.text.utf8
        var payload: [UInt8] = []
        payload.reserveCapacity(headerSize + 8 + text.count)
        payload.append(version)
        payload.append(message.edited == nil ? 0 : editedFlag)
        appendBigEndian(UInt64(message.from), bytes: 4, to: &payload)
        appendBigEndian(UInt64(bitPattern: message.ts), bytes: 8, to: &payload)
        if let edited = message.edited { appendBigEndian(UInt64(bitPattern: edited), bytes: 8, to: &payload) }
        payload.append(contentsOf: text)
        let stored: [UInt8]
        do {
            stored = try codec.encode(payload)
        } catch {
            throw .corrupt("message \(message.id) not storable: \(error)")
        }
        var member = idBytes(message.id)
        member.reserveCapacity(idSize + stored.count)
        member.append(contentsOf: stored)
        return member
    }

    /// The message stored in `member`, or `.corrupt` saying why not.
    static func decode(_ member: [UInt8], codec: ZstdCodec) throws(StoreError) -> StoredMessage {
        guard let id = id(of: member) else { throw .corrupt("history member of \(member.count) bytes") }
        let payload: [UInt8]
        do {
            payload = try codec.decode(Array(member[idSize...]))
        } catch {
            throw .corrupt("message \(id): \(error)")
        }
        guard payload.count >= headerSize, payload[0] == version else {
            throw .corrupt("message \(id): unknown payload version or short header")
        }
        let flags = payload[1]
        guard flags & ~editedFlag == 0 else { throw .corrupt("message \(id): unknown flags \(flags)") }
        let from = UInt32(truncatingIfNeeded: readBigEndian(payload, at: 2, bytes: 4))
        let ts = Int64(bitPattern: readBigEndian(payload, at: 6, bytes: 8))
        var textStart = headerSize
        var edited: Int64?
        if flags & editedFlag != 0 {
            guard payload.count >= headerSize + 8 else { throw .corrupt("message \(id): short header") }
            edited = Int64(bitPattern: readBigEndian(payload, at: headerSize, bytes: 8))
            textStart += 8
        }
        guard let text = String(validating: payload[textStart...], as: UTF8.self) else {
            throw .corrupt("message \(id): text is not UTF-8")
        }
        return StoredMessage(id: id, from: from, ts: ts, text: text, edited: edited)
    }

    /// The id at the start of a member (nil when it is shorter than 8 bytes).
    static func id(of member: [UInt8]) -> UInt64? {
        guard member.count >= idSize else { return nil }
        return readBigEndian(member, at: 0, bytes: idSize)
    }

    /// An id as 8 big-endian bytes: the prefix of its members, and a lex range bound.
    static func idBytes(_ id: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(idSize)
        appendBigEndian(id, bytes: idSize, to: &bytes)
        return bytes
    }

    // MARK: Big-endian integers

    /// Appends the low `count` bytes of `value`, most significant first.
    static func appendBigEndian(_ value: UInt64, bytes count: Int, to buffer: inout [UInt8]) {
        var shift = (count - 1) * 8
        while shift >= 0 {
            buffer.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            shift -= 8
        }
    }

    /// Reads `count` (at most 8) big-endian bytes at `offset`; the caller has checked that
    /// they are there.
    static func readBigEndian(_ buffer: [UInt8], at offset: Int, bytes count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<(offset + count) { value = value << 8 | UInt64(buffer[index]) }
        return value
    }
}
