/// Decimal ASCII numbers written and read by hand, for RESP headers, arguments and keys.
///
/// No `String(describing:)` or `String(format:)` on the hot path (TOOLCHAIN.md: format
/// pulls in ICU), and parsing that never traps on overflow or stray bytes.
enum ASCIIDecimal {
    /// Appends the decimal digits of `value` (no sign).
    @inline(__always)
    static func append(_ value: UInt64, to buffer: inout [UInt8]) {
        if value < 10 {
            buffer.append(48 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        let start = buffer.count
        var rest = value
        while rest != 0 {
            let (quotient, digit) = rest.quotientAndRemainder(dividingBy: 10)
            buffer.append(48 &+ UInt8(truncatingIfNeeded: digit))
            rest = quotient
        }
        buffer[start...].reverse()
    }

    /// Appends the decimal text of a signed value (`-` then the digits of its magnitude,
    /// which is safe for `Int64.min`).
    @inline(__always)
    static func append(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        append(value.magnitude, to: &buffer)
    }

    /// Number of decimal digits of `value` (1 for 0).
    @inline(__always)
    static func digitCount(_ value: UInt64) -> Int {
        var count = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        return count
    }

    /// Appends a bulk-string header `$<length>\r\n`.
    @inline(__always)
    static func appendBulkHeader(length: Int, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "$"))
        append(UInt64(length), to: &buffer)
        buffer.append(13)
        buffer.append(10)
    }

    /// Appends a signed integer as a whole bulk string: `$<digits>\r\n<text>\r\n`.
    static func appendBulk(_ value: Int64, to buffer: inout [UInt8]) {
        appendBulk(value.magnitude, negative: value < 0, to: &buffer)
    }

    /// Appends a magnitude with an optional minus sign as a whole bulk string.
    static func appendBulk(_ magnitude: UInt64, negative: Bool, to buffer: inout [UInt8]) {
        appendBulkHeader(length: digitCount(magnitude) + (negative ? 1 : 0), to: &buffer)
        if negative { buffer.append(UInt8(ascii: "-")) }
        append(magnitude, to: &buffer)
        buffer.append(13)
        buffer.append(10)
    }

    /// Parses unsigned decimal digits (at least one, no sign, no spaces) that fit in
    /// `UInt32`; nil for anything else, never a trap.
    static func parseUInt32<Bytes: Collection>(_ bytes: Bytes) -> UInt32? where Bytes.Element == UInt8 {
        guard !bytes.isEmpty, bytes.count <= 10 else { return nil }
        var value: UInt32 = 0
        for byte in bytes {
            guard byte >= 48, byte <= 57 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt32(byte &- 48))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}
