/// Writes JSON straight into a byte array: no intermediate `String`, no Foundation.
///
/// Commas are placed by the writer (one flag: "the current container already has a
/// member"), so callers only say what comes next. Keys are `StaticString` literals and are
/// written as they are: they must not need escaping (all of the protocol's keys are plain
/// ASCII words). String values are escaped by ``string(_:)``.
///
/// ```swift
/// var writer = JSONWriter(capacity: 64)
/// writer.beginObject()
/// writer.field("t", "left")
/// writer.field("room", 42)
/// writer.endObject()        // {"t":"left","room":42}
/// ```
public struct JSONWriter: Sendable {
    /// The bytes written so far.
    public internal(set) var bytes: [UInt8]
    /// Whether the next member or element needs a comma before it.
    private var needsComma = false

    /// A writer whose buffer starts with room for `capacity` bytes (a guess: it grows).
    public init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: Structure

    /// Writes `{`.
    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    /// Writes `}`.
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    /// Writes `[`.
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    /// Writes `]`.
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Writes a member's key and the colon; the value follows with any value method.
    public mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: Values

    /// Writes a string value, escaped (see ``appendEscaped(_:)``).
    public mutating func string(_ value: String) {
        separate()
        appendEscaped(value)
        needsComma = true
    }

    /// Writes an integer value in decimal.
    public mutating func integer<Integer: BinaryInteger>(_ value: Integer) {
        separate()
        if let unsigned = UInt64(exactly: value) {
            appendDecimal(unsigned)
        } else if let signed = Int64(exactly: value) {
            bytes.append(UInt8(ascii: "-"))
            appendDecimal(signed.magnitude)
        } else {
            bytes.append(contentsOf: String(value).utf8) // wider than 64 bits: never on the hot path
        }
        needsComma = true
    }

    /// Writes a 64-bit id as a decimal string (`"1234"`), the protocol's form for message
    /// ids so that JavaScript clients keep every digit.
    public mutating func decimalString(_ value: UInt64) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        appendDecimal(value)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Writes a literal as a string value, unescaped: for the protocol's own words
    /// (event types, codes), which never need escaping.
    mutating func literalString(_ value: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: value)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
        needsComma = true
    }

    /// Writes `null`.
    public mutating func null() {
        separate()
        bytes.append(contentsOf: Self.nullBytes)
        needsComma = true
    }

    /// Writes bytes that already are one complete JSON value (an encoded event, say), as
    /// they are. The caller vouches for them.
    public mutating func raw<Bytes: Sequence>(_ json: Bytes) where Bytes.Element == UInt8 {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    // MARK: Internals

    private static let trueBytes: StaticString = "true"
    private static let falseBytes: StaticString = "false"
    private static let nullBytes: StaticString = "null"

    @inline(__always)
    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func open(_ byte: UInt8) {
        separate()
        bytes.append(byte)
        needsComma = false
    }

    private mutating func close(_ byte: UInt8) {
        bytes.append(byte)
        needsComma = true
    }
}

extension Array where Element == UInt8 {
    /// Appends a literal's UTF-8 bytes.
    @inline(__always)
    mutating func append(contentsOf literal: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
