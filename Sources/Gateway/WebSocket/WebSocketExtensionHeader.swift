/// One entry of a `Sec-WebSocket-Extensions` header: a name and its parameters.
///
/// Grammar (RFC 6455 §9.1, tokens and quoted strings from RFC 9110 §5.6):
///
///     Sec-WebSocket-Extensions = 1#extension
///     extension = extension-token *( ";" extension-param )
///     extension-param = token [ "=" (token | quoted-string) ]
public struct WebSocketExtension: Sendable, Hashable {
    /// One `name[=value]` parameter; the value is unquoted.
    public struct Parameter: Sendable, Hashable {
        /// Parameter name, lowercased (RFC 7692 parameter names are case-insensitive tokens).
        public var name: String
        /// The value, nil when the parameter has none.
        public var value: String?

        /// A parameter with the given name and value.
        public init(name: String, value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    /// Extension name, lowercased.
    public var name: String
    /// Parameters in the order given.
    public var parameters: [Parameter]

    /// An extension entry with the given name and parameters.
    public init(name: String, parameters: [Parameter] = []) {
        self.name = name
        self.parameters = parameters
    }

    /// Parses a header value into its entries, in order.
    ///
    /// A malformed entry comes back as nil rather than failing the whole header, so that a
    /// caller negotiating offers can decline just that one.
    public static func parse(_ header: String) -> [WebSocketExtension?] {
        split(header.utf8, on: UInt8(ascii: ",")).compactMap { entry in
            let trimmed = trim(entry)
            return trimmed.isEmpty ? nil : .some(parseEntry(trimmed))
        }
    }

    /// Parses one comma-free entry: `name; p1; p2=v`.
    private static func parseEntry(_ entry: ArraySlice<UInt8>) -> WebSocketExtension? {
        let pieces = split(entry, on: UInt8(ascii: ";")).map(trim)
        guard let first = pieces.first, isToken(first) else { return nil }
        var parameters: [Parameter] = []
        for piece in pieces.dropFirst() {
            guard let parameter = parseParameter(piece) else { return nil }
            parameters.append(parameter)
        }
        return WebSocketExtension(name: lowercased(first), parameters: parameters)
    }

    /// Parses `token` or `token=token` or `token="quoted"`; nil when malformed.
    private static func parseParameter(_ piece: ArraySlice<UInt8>) -> Parameter? {
        guard let equals = piece.firstIndex(of: UInt8(ascii: "=")) else {
            return isToken(piece) ? Parameter(name: lowercased(piece)) : nil
        }
        let name = trim(piece[..<equals])
        var value = trim(piece[piece.index(after: equals)...])
        guard isToken(name) else { return nil }
        if value.first == UInt8(ascii: "\"") {
            guard let unquoted = unquote(value) else { return nil }
            value = unquoted
        }
        // RFC 6455 §9.1: a quoted value must still be a token once unquoted.
        guard isToken(value) else { return nil }
        return Parameter(name: lowercased(name), value: String(decoding: value, as: UTF8.self))
    }

    // MARK: - Lexing

    /// Splits on `separator` outside double-quoted strings.
    private static func split<C: Collection<UInt8>>(_ text: C, on separator: UInt8) -> [ArraySlice<UInt8>] {
        let bytes = Array(text)
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        var quoted = false
        var escaped = false
        for (index, byte) in bytes.enumerated() {
            if escaped { escaped = false; continue }
            if quoted && byte == UInt8(ascii: "\\") { escaped = true; continue }
            if byte == UInt8(ascii: "\"") { quoted.toggle(); continue }
            if !quoted && byte == separator {
                pieces.append(bytes[start..<index])
                start = index &+ 1
            }
        }
        pieces.append(bytes[start...])
        return pieces
    }

    /// Removes `"` around a quoted string and resolves `\` escapes; nil if unterminated.
    private static func unquote(_ value: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard value.count >= 2, value.last == UInt8(ascii: "\"") else { return nil }
        var result: [UInt8] = []
        var escaped = false
        for byte in value.dropFirst().dropLast() {
            if escaped { result.append(byte); escaped = false; continue }
            if byte == UInt8(ascii: "\\") { escaped = true; continue }
            if byte == UInt8(ascii: "\"") { return nil }
            result.append(byte)
        }
        return escaped ? nil : result[...]
    }

    /// Strips spaces and tabs at both ends.
    private static func trim(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = slice.firstIndex(where: { !isSpace($0) }),
              let last = slice.lastIndex(where: { !isSpace($0) }) else { return [] }
        return slice[first...last]
    }

    /// Whether the bytes form a non-empty RFC 9110 token.
    static func isToken(_ bytes: ArraySlice<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// ASCII-lowercases a token.
    private static func lowercased(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
