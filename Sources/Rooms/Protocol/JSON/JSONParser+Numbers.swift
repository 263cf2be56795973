extension JSONParser {
    /// Parses a number at `index` (RFC 8259 §6):
    ///
    /// ```
    /// number = [ "-" ] ( "0" / [1-9] *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
    /// ```
    ///
    /// Integers (no fraction, no exponent) that fit `UInt64`, or `Int64` when negative, are
    /// kept as values; anything else keeps its text for ``JSONValue/double``.
    mutating func parseNumber() throws(JSONError) {
        let start = index
        let negative = byte(index) == UInt8(ascii: "-")
        if negative { index += 1 }
        var magnitude: UInt64 = 0
        var overflow = false
        switch byte(index) {
        case UInt8(ascii: "0"):
            index += 1
            if isDigit(byte(index)) { throw failure() } // leading zero
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            while isDigit(byte(index)) {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(byte(index) - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                magnitude = sum
                index += 1
            }
        default:
            throw failure()
        }
        var integral = true
        if byte(index) == UInt8(ascii: ".") {
            index += 1
            try skipDigits()
            integral = false
        }
        if byte(index) == UInt8(ascii: "e") || byte(index) == UInt8(ascii: "E") {
            index += 1
            if byte(index) == UInt8(ascii: "+") || byte(index) == UInt8(ascii: "-") { index += 1 }
            try skipDigits()
            integral = false
        }
        if integral && !overflow {
            if !negative || magnitude == 0 {
                nodes.append(JSONNode(tag: .uint, length: 0, payload: magnitude))
                return
            }
            if magnitude <= UInt64(Int64.max) + 1 {
                nodes.append(JSONNode(tag: .int, length: 0, payload: 0 &- magnitude))
                return
            }
        }
        let offset = bytes.count
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[start..<index]))
        nodes.append(JSONNode(tag: .float, length: UInt32(truncatingIfNeeded: index - start), payload: UInt64(offset)))
    }

    /// Skips one or more digits.
    private mutating func skipDigits() throws(JSONError) {
        guard isDigit(byte(index)) else { throw failure() }
        while isDigit(byte(index)) { index += 1 }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
