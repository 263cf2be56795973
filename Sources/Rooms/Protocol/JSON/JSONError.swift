/// Why a JSON text was refused by ``JSONDocument/parse(_:maxDepth:)``.
///
/// The parser is strict RFC 8259: anything the grammar does not allow is an error, never a
/// guess. `offset` is the byte position where the problem was found, for logs and tests; it
/// is never shown to clients with the input around it (logs carry no message contents).
public struct JSONError: Error, Sendable, Equatable {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// The input ended inside a value (or was empty).
        case unexpectedEnd
        /// A byte that the grammar does not allow here (includes leading zeros, trailing
        /// commas, `NaN`, single quotes, comments).
        case unexpectedByte
        /// Bytes after the top-level value (other than whitespace).
        case trailingBytes
        /// A raw control character (below U+0020) inside a string.
        case controlCharacterInString
        /// A backslash followed by something other than `" \ / b f n r t u`, or a `\u`
        /// without four hex digits.
        case invalidEscape
        /// A `\uD800`–`\uDFFF` escape that is not part of a high-then-low surrogate pair.
        case loneSurrogate
        /// A string containing bytes that are not well-formed UTF-8 (RFC 3629).
        case invalidUTF8
        /// Arrays and objects nested deeper than the parser's limit.
        case tooDeep
        /// The input is larger than the parser can index (over 4 GiB).
        case tooLarge
    }

    /// What went wrong.
    public var reason: Reason
    /// Byte offset in the input where it was detected.
    public var offset: Int

    /// An error of `reason` found at byte `offset`.
    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }
}
