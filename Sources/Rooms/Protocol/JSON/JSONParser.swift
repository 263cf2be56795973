/// The recursive-descent parser behind ``JSONDocument/parse(_:maxDepth:)``.
///
/// Every read of the input goes through ``byte(_:)``, which answers `0` past the end; `0`
/// is never valid where a structural byte is expected, so running off the end turns into
/// an error instead of an out-of-bounds read. Recursion is bounded by `maxDepth`.
struct JSONParser {
    let input: UnsafeRawBufferPointer
    let maxDepth: Int
    var index = 0
    var nodes: [JSONNode] = []
    var bytes: [UInt8] = []

    init(input: UnsafeRawBufferPointer, maxDepth: Int) {
        self.input = input
        self.maxDepth = maxDepth
        // A flat command has under 20 nodes (about one per 6 bytes); a big frame is mostly
        // text, so the guess is capped and larger arrays grow as they go. Decoded strings
        // never take more than the input.
        nodes.reserveCapacity(min(input.count / 6 + 4, 64))
        bytes.reserveCapacity(input.count)
    }

    /// The byte at `position`, or `0` past the end.
    @inline(__always)
    func byte(_ position: Int) -> UInt8 {
        position < input.count ? input[position] : 0
    }

    /// An error at the current position: `unexpectedEnd` when the input ran out.
    func failure(_ reason: JSONError.Reason = .unexpectedByte) -> JSONError {
        JSONError(index >= input.count ? .unexpectedEnd : reason, at: index)
    }

    mutating func parseDocument() throws(JSONError) {
        skipWhitespace()
        try parseValue(depth: 0)
        skipWhitespace()
        guard index == input.count else { throw JSONError(.trailingBytes, at: index) }
    }

    mutating func skipWhitespace() {
        while true {
            switch byte(index) {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONError) {
        switch byte(index) {
        case UInt8(ascii: "{"): try parseContainer(tag: .object, depth: depth + 1)
        case UInt8(ascii: "["): try parseContainer(tag: .array, depth: depth + 1)
        case UInt8(ascii: "\""):
            let (offset, length) = try parseString()
            nodes.append(JSONNode(tag: .string, length: UInt32(truncatingIfNeeded: length), payload: UInt64(offset)))
        case UInt8(ascii: "t"): try parseLiteral("true", .true)
        case UInt8(ascii: "f"): try parseLiteral("false", .false)
        case UInt8(ascii: "n"): try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
        default: throw failure()
        }
    }

    mutating func parseLiteral(_ word: StaticString, _ tag: JSONNode.Tag) throws(JSONError) {
        let count = word.utf8CodeUnitCount
        for offset in 0..<count where byte(index + offset) != word.utf8Start[offset] {
            index += offset
            throw failure()
        }
        index += count
        nodes.append(JSONNode(tag: tag, length: 0, payload: 0))
    }

    /// Parses `{...}` or `[...]`; the opening byte is at `index`.
    ///
    /// ```
    /// object: '{' ws ( string ws ':' ws value ws ( ',' ws string ws ':' ws value ws )* )? '}'
    /// array:  '[' ws ( value ws ( ',' ws value ws )* )? ']'
    /// ```
    mutating func parseContainer(tag: JSONNode.Tag, depth: Int) throws(JSONError) {
        guard depth <= maxDepth else { throw JSONError(.tooDeep, at: index) }
        let isObject = tag == .object
        let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
        let slot = nodes.count
        nodes.append(JSONNode(tag: tag, length: 0, payload: 0))
        index += 1
        skipWhitespace()
        var count: UInt32 = 0
        if byte(index) == close {
            index += 1
        } else {
            while true {
                if isObject {
                    guard byte(index) == UInt8(ascii: "\"") else { throw failure() }
                    try parseValue(depth: depth)
                    skipWhitespace()
                    guard byte(index) == UInt8(ascii: ":") else { throw failure() }
                    index += 1
                    skipWhitespace()
                }
                try parseValue(depth: depth)
                count &+= 1
                skipWhitespace()
                let next = byte(index)
                index += 1
                if next == close { break }
                guard next == UInt8(ascii: ",") else {
                    index -= 1
                    throw failure()
                }
                skipWhitespace()
            }
        }
        nodes[slot].length = count
        nodes[slot].payload = UInt64(nodes.count)
    }
}
