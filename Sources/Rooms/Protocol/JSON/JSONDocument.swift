/// One parsed JSON text, stored flat: a "tape" of nodes in document order plus one byte
/// buffer holding every decoded string.
///
/// Two allocations per document whatever its shape, no reference back to the input (the
/// frame's buffer can be reused at once), and lookups that are a short linear scan, which is
/// what flat command objects of a handful of fields want.
///
/// ```
/// {"t":"send","room":7}   nodes: [object(2 members, end 5)] ["t"] ["send"] ["room"] [uint 7]
///                         bytes: t send room
/// ```
///
/// Duplicate keys: **the last one wins**, as with JavaScript's `JSON.parse`.
public struct JSONDocument: Sendable {
    /// Nodes in document order; a container is followed by its children.
    var nodes: [JSONNode]
    /// Decoded (unescaped) string bytes and the raw text of non-integer numbers.
    var bytes: [UInt8]

    /// The default nesting limit: deep enough for any command, shallow enough that the
    /// recursive parser cannot exhaust the stack.
    public static let defaultMaxDepth = 32

    /// The top-level value.
    public var root: JSONValue { JSONValue(document: self, index: 0) }

    /// Parses one JSON text (RFC 8259: one value, optional whitespace around it).
    ///
    /// Never traps: every malformed input, however adversarial, ends in a ``JSONError``.
    /// `maxDepth` counts nested arrays and objects (`[[1]]` has depth 2).
    public static func parse(_ input: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONDocument {
        guard input.count <= Int(UInt32.max) else { throw JSONError(.tooLarge, at: 0) }
        var parser = JSONParser(input: input, maxDepth: maxDepth)
        try parser.parseDocument()
        return JSONDocument(nodes: parser.nodes, bytes: parser.bytes)
    }

    /// Parses one JSON text held in an array; see ``parse(_:maxDepth:)-(UnsafeRawBufferPointer,_)``.
    public static func parse(_ input: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONDocument {
        // withUnsafeBytes cannot forward a typed error: carry it out through a Result.
        let result = input.withUnsafeBytes { buffer in
            Result { () throws(JSONError) -> JSONDocument in try parse(buffer, maxDepth: maxDepth) }
        }
        return try result.get()
    }

    /// Index of the node after the subtree rooted at `index`.
    func end(of index: Int) -> Int {
        let node = nodes[index]
        switch node.tag {
        case .array, .object: return Int(truncatingIfNeeded: node.payload)
        default: return index + 1
        }
    }
}

/// One entry of the tape. 16 bytes.
///
/// | tag            | `length`            | `payload`                      |
/// |----------------|---------------------|--------------------------------|
/// | string, float  | byte count          | offset in `bytes`              |
/// | uint, int      | unused              | the value (two's complement)   |
/// | array, object  | elements / members  | index of the node after it     |
struct JSONNode: Sendable {
    enum Tag: UInt8, Sendable {
        case null, `false`, `true`, string, uint, int, float, array, object
    }

    var tag: Tag
    var length: UInt32
    var payload: UInt64
}
