/// A compact binary frame of the contract, all integers big-endian:
///
/// ```
///  0      1          5          7            11         13
///  +------+----------+----------+------------+----------+------------------+
///  | type | user_id  | room_id  | timestamp  | length   | payload (length) |
///  |  u8  |   u32    |   u16    |    u32     |   u16    |                  |
///  +------+----------+----------+------------+----------+------------------+
/// ```
///
/// Payloads by type (decisions beyond the contract, listed in docs/protocol.md):
///
/// | type | client → node                               | node → client                          |
/// |------|---------------------------------------------|----------------------------------------|
/// | 1    | `[cid_len:1][cid][text]` (cid_len 0: no dedupe) | `[message id:8][text]`, user = sender |
/// | 2    | empty                                       | empty, user = typer                    |
/// | 3    | `[message id:8]`                            | `[message id:8]`, user = reader        |
/// | 4    | (node only: `bad_request`)                  | `[message id:8][cid]`                  |
///
/// Node to client, `timestamp` is seconds since the Unix epoch. Client to node, `user_id` and
/// `timestamp` are ignored. A frame is exactly header + `length` bytes: a shorter frame or
/// trailing bytes are `bad_request`.
public struct BinaryFrame: Sendable, Equatable {
    /// The frame types.
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// Client: send. Node: msg.
        case message = 1
        /// Typing indicator.
        case typing = 2
        /// Read receipt.
        case read = 3
        /// Acknowledgement of a binary send (node to client only).
        case ack = 4
    }

    /// Size of the fixed header in bytes.
    public static let headerSize = 13
    /// Largest payload the 16-bit length can describe.
    public static let maxPayloadSize = Int(UInt16.max)

    /// The frame type.
    public var kind: Kind
    /// The user the frame is about (sender, typer, reader); ignored from clients.
    public var userID: UInt32
    /// The room, 0...65535.
    public var roomID: UInt16
    /// Seconds since the Unix epoch; ignored from clients.
    public var timestamp: UInt32
    /// The payload.
    public var payload: [UInt8]

    /// A frame; `payload` must fit the 16-bit length (a programmer error otherwise).
    public init(kind: Kind, userID: UInt32, roomID: UInt16, timestamp: UInt32, payload: [UInt8]) {
        precondition(payload.count <= Self.maxPayloadSize, "binary frame payload over 65535 bytes")
        self.kind = kind
        self.userID = userID
        self.roomID = roomID
        self.timestamp = timestamp
        self.payload = payload
    }

    /// Parses the structure of any frame (type, header, exact length); the payload is not
    /// interpreted. Clients use it to read node frames; the node decodes commands with
    /// ``ClientCommandDecoder/decodeBinary(_:)-(UnsafeRawBufferPointer)``.
    public init(parsing frame: UnsafeRawBufferPointer) throws(ProtocolError) {
        let header = try Header(parsing: frame)
        self.init(kind: header.kind, userID: header.userID, roomID: header.roomID, timestamp: header.timestamp,
                  payload: Array(UnsafeRawBufferPointer(rebasing: frame[Self.headerSize...])))
    }

    /// Parses the structure of a frame held in an array; see ``init(parsing:)-(UnsafeRawBufferPointer)``.
    public init(parsing frame: [UInt8]) throws(ProtocolError) {
        let result = frame.withUnsafeBytes { buffer in
            Result { () throws(ProtocolError) -> BinaryFrame in try BinaryFrame(parsing: buffer) }
        }
        self = try result.get()
    }

    /// The frame's bytes.
    public func encoded() -> [UInt8] {
        var bytes = Self.header(kind, userID: userID, roomID: roomID, timestamp: timestamp, payloadCount: payload.count)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// A header, with capacity for the payload that follows.
    static func header(_ kind: Kind, userID: UInt32, roomID: UInt16, timestamp: UInt32, payloadCount: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerSize + payloadCount)
        bytes.append(kind.rawValue)
        bytes.appendBigEndian(userID)
        bytes.appendBigEndian(roomID)
        bytes.appendBigEndian(timestamp)
        bytes.appendBigEndian(UInt16(truncatingIfNeeded: payloadCount))
        return bytes
    }

    /// A validated header: the frame holds exactly `headerSize + length` bytes and a known type.
    struct Header {
        var kind: Kind
        var userID: UInt32
        var roomID: UInt16
        var timestamp: UInt32

        init(parsing frame: UnsafeRawBufferPointer) throws(ProtocolError) {
            guard frame.count >= BinaryFrame.headerSize else { throw .badRequest("binary frame: short header") }
            guard let kind = Kind(rawValue: frame[0]) else { throw .badRequest("binary frame: unknown type") }
            let length = Int(frame.bigEndian(UInt16.self, at: 11))
            guard frame.count == BinaryFrame.headerSize + length else {
                throw .badRequest("binary frame: length does not match the frame")
            }
            self.kind = kind
            userID = frame.bigEndian(UInt32.self, at: 1)
            roomID = frame.bigEndian(UInt16.self, at: 5)
            timestamp = frame.bigEndian(UInt32.self, at: 7)
        }
    }
}

extension UnsafeRawBufferPointer {
    /// The big-endian integer at `offset`; the caller has checked the bounds.
    func bigEndian<Integer: FixedWidthInteger>(_: Integer.Type, at offset: Int) -> Integer {
        var value: Integer = 0
        for position in offset..<(offset + MemoryLayout<Integer>.size) {
            value = value << 8 | Integer(self[position])
        }
        return value
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` big-endian.
    mutating func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
