/// Valkey Cluster key slots: `CRC16(key) mod 16384`, honouring hash tags.
///
/// From the Redis/Valkey Cluster specification ("Keys distribution model"): the CRC is
/// CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection, no final xor;
/// `CRC16("123456789") == 0x31C3`). When a key holds a hash tag, only the tag is hashed,
/// so that keys sharing a tag share a slot (and may be used together in one command):
///
/// ```
/// key:  room:{42}:msgs        first '{' ... first '}' after it, non-empty
///             ^^^^            -> hash "42"
/// foo{}{bar}                  empty tag -> hash the whole key
/// foo{{bar}}zap               tag "{bar" (first '{', then the first '}' after it)
/// foo{bar                     no '}' -> hash the whole key
/// ```
///
/// Our keyspace puts the room or user id in a tag (`room:{R}:msgs`, `typing:{R}:<U>`),
/// so one room's keys live in one slot, on one node, in cluster mode.
public enum HashSlot {
    /// Number of slots in a Valkey Cluster.
    public static let count = 16384

    /// The slot of a key given as bytes.
    public static func slot(forKey key: [UInt8]) -> Int {
        key.withUnsafeBytes { slot(forKeyBytes: $0) }
    }

    /// The slot of a key given as text (hashed as its UTF-8 bytes).
    public static func slot(forKey key: String) -> Int {
        if let slot = key.utf8.withContiguousStorageIfAvailable({ slot(forKeyBytes: UnsafeRawBufferPointer($0)) }) {
            return slot
        }
        return slot(forKey: Array(key.utf8))
    }

    /// The slot of a key in a raw buffer (the zero-copy form the others use).
    public static func slot(forKeyBytes key: UnsafeRawBufferPointer) -> Int {
        Int(crc16(hashedPart(of: key)) & UInt16(count - 1))
    }

    /// The part of a key that is hashed: the hash tag when there is a non-empty one,
    /// else the whole key.
    public static func hashedPart(of key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else { return key }
        let tagStart = open + 1
        guard let close = key[tagStart...].firstIndex(of: UInt8(ascii: "}")), close > tagStart else { return key }
        return UnsafeRawBufferPointer(rebasing: key[tagStart..<close])
    }

    /// CRC-16/XMODEM of `bytes`, as used by the cluster specification.
    public static func crc16(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var crc: UInt16 = 0
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                // The index is a byte xor a byte: always within the 256-entry table.
                let index = Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)
                crc = (crc << 8) ^ table[index]
            }
        }
        return crc
    }

    /// CRC-16/XMODEM of a byte array.
    public static func crc16(_ bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { crc16($0) }
    }

    /// The 256-entry lookup table of polynomial 0x1021, built once.
    private static let table: [UInt16] = (0..<256).map { value -> UInt16 in
        var crc = UInt16(value) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }
}
