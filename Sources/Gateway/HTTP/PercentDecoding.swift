/// Percent-decoding of request targets (RFC 3986 §2.1) and of query strings
/// (`application/x-www-form-urlencoded`, where `+` also means a space).
///
/// Strict: a `%` not followed by two hex digits, or a result that is not UTF-8,
/// makes the whole target invalid (400) rather than being passed through.
public enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` when `plusAsSpace`); nil on a malformed escape.
    public static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, plusAsSpace: Bool = false) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue),
                      let low = iterator.next().flatMap(hexValue) else { return nil }
                output.append(high << 4 | low)
            case UInt8(ascii: "+") where plusAsSpace:
                output.append(UInt8(ascii: " "))
            default:
                output.append(byte)
            }
        }
        return output
    }

    /// Decodes and validates UTF-8; nil when malformed.
    public static func decodeString<Bytes: Collection<UInt8>>(_ bytes: Bytes, plusAsSpace: Bool = false) -> String? {
        guard let decoded = decode(bytes, plusAsSpace: plusAsSpace) else { return nil }
        return String(validating: decoded, as: UTF8.self)
    }

    /// Splits a raw query string (`a=1&b=x%20y`) into decoded items; nil when any part is malformed.
    /// Empty parts (`a=1&&b=2`) are skipped; a part without `=` has an empty value.
    public static func queryItems<Bytes: Collection<UInt8>>(_ query: Bytes) -> [HTTPQueryItem]? {
        var items: [HTTPQueryItem] = []
        for part in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let pieces = part.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let rawName = pieces.first,
                  let name = decodeString(rawName, plusAsSpace: true) else { return nil }
            var value = ""
            if pieces.count > 1, let rawValue = pieces.last {
                guard let decoded = decodeString(rawValue, plusAsSpace: true) else { return nil }
                value = decoded
            }
            items.append(HTTPQueryItem(name: name, value: value))
        }
        return items
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// One decoded `name=value` pair of a query string.
public struct HTTPQueryItem: Hashable, Sendable {
    /// The decoded name.
    public var name: String
    /// The decoded value; empty when the part had no `=`.
    public var value: String

    /// Creates an item.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
