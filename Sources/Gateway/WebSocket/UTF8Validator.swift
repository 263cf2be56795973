/// An incremental UTF-8 validator that accepts input split at any byte.
///
/// A text message may arrive in many fragments and many reads, and a code point may
/// straddle them, so the validator keeps a tiny state between calls: how many
/// continuation bytes are still due and the allowed range of the next one. The ranges come
/// from the Unicode Standard, table 3-7 ("well-formed UTF-8 byte sequences"), which
/// excludes overlong forms, surrogates (U+D800-U+DFFF) and code points above U+10FFFF:
///
///     lead byte      bytes  2nd byte range
///     00-7F          1      -
///     C2-DF          2      80-BF
///     E0             3      A0-BF   (no overlongs)
///     E1-EC, EE-EF   3      80-BF
///     ED             3      80-9F   (no surrogates)
///     F0             4      90-BF   (no overlongs)
///     F1-F3          4      80-BF
///     F4             4      80-8F   (nothing above U+10FFFF)
///     80-C1, F5-FF   invalid
///
/// Later continuation bytes are always 80-BF. Runs of ASCII are skipped 8 bytes at a time.
public struct UTF8Validator: Sendable, Hashable {
    /// Continuation bytes still expected for the current code point.
    private var pending: UInt8 = 0
    /// Smallest allowed value of the next continuation byte.
    private var lower: UInt8 = 0x80
    /// Largest allowed value of the next continuation byte.
    private var upper: UInt8 = 0xBF

    /// A validator at the start of a message.
    public init() {}

    /// Whether the bytes seen so far end on a code point boundary.
    ///
    /// Check it at the end of a message: a message may not end inside a code point.
    public var isAtBoundary: Bool { pending == 0 }

    /// Forgets any partial code point, ready for a new message.
    public mutating func reset() {
        self = UTF8Validator()
    }

    /// Validates the next chunk of a message; false as soon as the input cannot be UTF-8.
    ///
    /// After false the state is unspecified: the caller fails the connection.
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var index = 0
        while index < count {
            if pending == 0 {
                // Skip ASCII 8 bytes at a time.
                while count - index >= 8 {
                    let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    index &+= 8
                }
                if index >= count { return true }
                let byte = bytes[index]
                index &+= 1
                if byte < 0x80 { continue }
                if !start(byte) { return false }
            } else {
                let byte = bytes[index]
                index &+= 1
                if byte < lower || byte > upper { return false }
                lower = 0x80
                upper = 0xBF
                pending &-= 1
            }
        }
        return true
    }

    /// Validates a chunk held in an array.
    public mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }

    /// Validates a complete message in one go: valid UTF-8 ending on a boundary.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isAtBoundary
    }

    /// Validates a complete message held in an array.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isValid($0) }
    }

    /// Sets the state for a non-ASCII lead byte; false when it cannot start a code point.
    private mutating func start(_ byte: UInt8) -> Bool {
        switch byte {
        case 0xC2...0xDF: pending = 1
        case 0xE0: pending = 2; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: pending = 2
        case 0xED: pending = 2; upper = 0x9F
        case 0xF0: pending = 3; lower = 0x90
        case 0xF1...0xF3: pending = 3
        case 0xF4: pending = 3; upper = 0x8F
        default: return false
        }
        return true
    }
}
