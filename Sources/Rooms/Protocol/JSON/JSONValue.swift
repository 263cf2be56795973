/// A view of one value inside a ``JSONDocument``: cheap to copy, read-only.
///
/// Accessors return `nil` for a value of another type, so command decoding reads as
/// "field of the right type or `bad_request`" without any casting.
public struct JSONValue: Sendable {
    /// The document holding the value.
    let document: JSONDocument
    /// Position of the value's node on the document's tape.
    let index: Int

    /// The JSON type of a value.
    public enum Kind: Sendable, Equatable {
        /// `null`.
        case null
        /// `true` or `false`.
        case bool
        /// A string.
        case string
        /// A number, integer or not.
        case number
        /// An array.
        case array
        /// An object.
        case object
    }

    private var node: JSONNode { document.nodes[index] }

    /// The value's JSON type.
    public var kind: Kind {
        switch node.tag {
        case .null: return .null
        case .false, .true: return .bool
        case .string: return .string
        case .uint, .int, .float: return .number
        case .array: return .array
        case .object: return .object
        }
    }

    /// Whether the value is `null`.
    public var isNull: Bool { node.tag == .null }

    /// The value of `true` or `false`, else `nil`.
    public var bool: Bool? {
        switch node.tag {
        case .true: return true
        case .false: return false
        default: return nil
        }
    }

    // MARK: Numbers

    /// Whether the value is a number written without fraction or exponent that fits
    /// `UInt64` or `Int64` (`-0` counts as `0`; `1.0` and `1e2` are not integers here).
    public var isInteger: Bool { node.tag == .uint || node.tag == .int }

    /// The value as `UInt64` when it is a non-negative integer, else `nil`.
    public var uint64: UInt64? { node.tag == .uint ? node.payload : nil }

    /// The value as `Int64` when it is an integer in `Int64`'s range, else `nil`.
    public var int64: Int64? {
        let node = self.node
        switch node.tag {
        case .int: return Int64(bitPattern: node.payload)
        case .uint: return node.payload <= UInt64(Int64.max) ? Int64(node.payload) : nil
        default: return nil
        }
    }

    /// The value of any number as the nearest `Double` (infinity past its range), else `nil`.
    public var double: Double? {
        let node = self.node
        switch node.tag {
        case .uint: return Double(node.payload)
        case .int: return Double(Int64(bitPattern: node.payload))
        case .float: return Double(String(decoding: stringBytes(node), as: UTF8.self))
        default: return nil
        }
    }

    // MARK: Strings

    /// The decoded string (escapes resolved), else `nil`.
    public var string: String? {
        let node = self.node
        guard node.tag == .string else { return nil }
        return String(decoding: stringBytes(node), as: UTF8.self)
    }

    /// The decoded string's length in UTF-8 bytes, else `nil`: checks a limit without
    /// building the `String`.
    public var stringByteCount: Int? {
        let node = self.node
        return node.tag == .string ? Int(node.length) : nil
    }

    /// Whether the value is a string equal, byte for byte, to `literal`.
    public func stringEquals(_ literal: StaticString) -> Bool {
        let node = self.node
        guard node.tag == .string else { return false }
        return bytesEqual(node, literal)
    }

    /// The bytes of a string or float node.
    func stringBytes(_ node: JSONNode) -> ArraySlice<UInt8> {
        let start = Int(truncatingIfNeeded: node.payload)
        return document.bytes[start..<(start + Int(node.length))]
    }

    /// Whether a string node's bytes equal a literal's.
    func bytesEqual(_ node: JSONNode, _ literal: StaticString) -> Bool {
        guard literal.hasPointerRepresentation, Int(node.length) == literal.utf8CodeUnitCount else { return false }
        let other = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        return stringBytes(node).elementsEqual(other)
    }
}
