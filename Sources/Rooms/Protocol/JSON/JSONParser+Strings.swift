extension JSONParser {
    /// Parses a string whose opening quote is at `index`, appending its decoded bytes to
    /// `bytes`; returns where they start and how many there are.
    ///
    /// Runs of plain bytes are copied in one go; escapes are decoded, `\uD83D\uDE00` pairs
    /// are combined into one scalar and a lone surrogate is refused (it has no UTF-8 form).
    /// Raw bytes must be well-formed UTF-8: the parser does not rely on the caller for it.
    mutating func parseString() throws(JSONError) -> (offset: Int, length: Int) {
        index += 1
        let start = bytes.count
        var runStart = index
        while true {
            guard index < input.count else { throw JSONError(.unexpectedEnd, at: index) }
            let current = input[index]
            if current == UInt8(ascii: "\"") {
                copyRun(from: runStart)
                index += 1
                return (start, bytes.count - start)
            } else if current == UInt8(ascii: "\\") {
                copyRun(from: runStart)
                try parseEscape()
                runStart = index
            } else if current < 0x20 {
                throw JSONError(.controlCharacterInString, at: index)
            } else if current < 0x80 {
                index += 1
            } else {
                index += try utf8SequenceLength(at: index)
            }
        }
    }

    /// Copies `input[runStart..<index]` to `bytes`.
    private mutating func copyRun(from runStart: Int) {
        if runStart < index {
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[runStart..<index]))
        }
    }

    /// Decodes the escape whose backslash is at `index`.
    private mutating func parseEscape() throws(JSONError) {
        let escapeStart = index
        index += 1
        let decoded: UInt8
        switch byte(index) {
        case UInt8(ascii: "\""): decoded = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): decoded = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): decoded = UInt8(ascii: "/")
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            index += 1
            try parseUnicodeEscape(escapeStart: escapeStart)
            return
        default:
            throw failure(.invalidEscape)
        }
        bytes.append(decoded)
        index += 1
    }

    /// Decodes the four hex digits after `\u` (and a following low surrogate if needed).
    private mutating func parseUnicodeEscape(escapeStart: Int) throws(JSONError) {
        let unit = try hex4()
        var scalar = unit
        if (0xD800...0xDBFF).contains(unit) {
            guard byte(index) == UInt8(ascii: "\\"), byte(index + 1) == UInt8(ascii: "u") else {
                throw JSONError(.loneSurrogate, at: escapeStart)
            }
            index += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw JSONError(.loneSurrogate, at: escapeStart) }
            scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(unit) {
            throw JSONError(.loneSurrogate, at: escapeStart)
        }
        appendUTF8(scalar)
    }

    /// Reads four hex digits at `index`.
    private mutating func hex4() throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let digit: UInt8
            switch byte(index) {
            case let c where c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case let c where c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case let c where c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw failure(.invalidEscape)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Appends a scalar (never a surrogate, at most U+10FFFF) as UTF-8.
    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            bytes.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            bytes.append(0xC0 | UInt8(truncatingIfNeeded: scalar >> 6))
            bytes.append(0x80 | UInt8(truncatingIfNeeded: scalar & 0x3F))
        case 0x800..<0x10000:
            bytes.append(0xE0 | UInt8(truncatingIfNeeded: scalar >> 12))
            bytes.append(0x80 | UInt8(truncatingIfNeeded: (scalar >> 6) & 0x3F))
            bytes.append(0x80 | UInt8(truncatingIfNeeded: scalar & 0x3F))
        default:
            bytes.append(0xF0 | UInt8(truncatingIfNeeded: scalar >> 18))
            bytes.append(0x80 | UInt8(truncatingIfNeeded: (scalar >> 12) & 0x3F))
            bytes.append(0x80 | UInt8(truncatingIfNeeded: (scalar >> 6) & 0x3F))
            bytes.append(0x80 | UInt8(truncatingIfNeeded: scalar & 0x3F))
        }
    }

    /// Length of the well-formed UTF-8 sequence starting with a non-ASCII byte at
    /// `position` (RFC 3629 table 3-7: no overlongs, no surrogates, nothing past U+10FFFF).
    private func utf8SequenceLength(at position: Int) throws(JSONError) -> Int {
        let lead = byte(position)
        let second = byte(position + 1)
        let length: Int
        let secondRange: ClosedRange<UInt8>
        switch lead {
        case 0xC2...0xDF: length = 2; secondRange = 0x80...0xBF
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; secondRange = 0x80...0xBF
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4; secondRange = 0x80...0xBF
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw JSONError(.invalidUTF8, at: position)
        }
        guard secondRange.contains(second) else { throw JSONError(.invalidUTF8, at: position) }
        for offset in 2..<length where byte(position + offset) & 0xC0 != 0x80 {
            throw JSONError(.invalidUTF8, at: position)
        }
        return length
    }
}
