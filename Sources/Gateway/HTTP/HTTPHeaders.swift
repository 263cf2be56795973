/// An ordered list of header fields with case-insensitive name look-up (RFC 9110 §5.1).
///
/// Order and duplicates are kept as received, because some checks care
/// (a duplicated `Sec-WebSocket-Key` or `Content-Length` is an error, not a choice).
///
///     headers["sec-websocket-key"]          // first value or nil
///     headers.values(for: "Connection")     // every field line's value
///     headers.tokens(for: "Connection")     // ["keep-alive", "Upgrade"]
public struct HTTPHeaders: Hashable, Sendable {
    /// One field line: its name as sent and its value with surrounding whitespace trimmed.
    public struct Field: Hashable, Sendable {
        /// The field name, in the case the peer used.
        public var name: String
        /// The field value, without leading or trailing spaces and tabs.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The fields in order of arrival (or of addition, for responses).
    public private(set) var fields: [Field]

    /// Creates headers from `(name, value)` pairs, keeping their order.
    public init(_ pairs: [(String, String)] = []) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// The number of field lines.
    public var count: Int { fields.count }

    /// The first value of the named field, looked up case-insensitively; nil when absent.
    public subscript(name: String) -> String? {
        fields.first { HTTPHeaders.namesEqual($0.name, name) }?.value
    }

    /// Every value of the named field, in order.
    public func values(for name: String) -> [String] {
        fields.filter { HTTPHeaders.namesEqual($0.name, name) }.map(\.value)
    }

    /// The comma-separated list elements of every value of the named field, trimmed, empty ones
    /// dropped (RFC 9110 §5.6.1), in their original case. Quoted strings are not parsed: meant
    /// for token lists (`Connection`, `Upgrade`, `Sec-WebSocket-Protocol`), not for parameters.
    public func tokens(for name: String) -> [String] {
        values(for: name).flatMap { value in
            value.split(separator: ",", omittingEmptySubsequences: true)
                .map { HTTPHeaders.trimmed($0) }
                .filter { !$0.isEmpty }
        }
    }

    /// Whether the named field lists `token`, compared case-insensitively
    /// (as for `Connection: keep-alive, Upgrade`).
    public func contains(token: String, in name: String) -> Bool {
        tokens(for: name).contains { HTTPHeaders.namesEqual($0, token) }
    }

    /// Appends a field line (another line of the same name is kept as a duplicate).
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field of that name by one line with `value`, or appends it.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    /// Removes every field of that name.
    public mutating func remove(name: String) {
        fields.removeAll { HTTPHeaders.namesEqual($0.name, name) }
    }

    // MARK: - ASCII helpers

    /// ASCII case-insensitive comparison (header names and tokens are ASCII).
    static func namesEqual(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8) { lowered($0) == lowered($1) }
    }

    static func lowered(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }

    static func trimmed(_ text: Substring) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }),
              let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(text[first...last])
    }
}

extension HTTPHeaders: Sequence {
    /// Iterates over the fields in order.
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}
