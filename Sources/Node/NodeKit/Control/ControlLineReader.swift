/// Splits a control connection's byte stream into request lines, with a size limit.
///
/// A pure incremental splitter: bytes in, items out. A line longer than `limit` (not
/// counting its `\n` or `\r\n`) is reported once, as soon as it passes the limit, and the
/// rest of it is skipped up to its newline without being buffered, so a client cannot make
/// the node hold more than `limit` bytes and the connection stays usable afterwards.
///
/// ```
/// "a\nbb\n"            -> .line("a"), .line("bb")
/// "<limit+1 bytes>..." -> .oversized        (then skip to the next "\n")
/// ```
public struct ControlLineReader: Sendable {
    /// What the stream contained.
    public enum Item: Sendable, Equatable {
        /// A complete line, without its line ending.
        case line([UInt8])
        /// A line over the limit (reported once, its bytes dropped).
        case oversized
    }

    /// Largest line accepted, in bytes.
    public let limit: Int
    private var buffer: [UInt8] = []
    private var skipping = false

    /// A reader for lines of at most `limit` bytes.
    public init(limit: Int) {
        self.limit = limit
    }

    /// Whether bytes of an unfinished line are buffered.
    public var hasPartialLine: Bool { !buffer.isEmpty }

    /// Feeds received bytes; returns the items they completed.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [Item] {
        var items: [Item] = []
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let segment = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            let foundNewline = end < bytes.count
            let total = buffer.count + segment.count
            if skipping {
                if foundNewline { skipping = false }
            } else if foundNewline {
                let endsWithCR = segment.last.map { $0 == 0x0D } ?? (buffer.last == 0x0D)
                if total - (endsWithCR ? 1 : 0) > limit {
                    buffer.removeAll(keepingCapacity: false)
                    items.append(.oversized)
                } else {
                    buffer.append(contentsOf: segment)
                    items.append(.line(takeLine()))
                }
            } else if total > limit + 1 {
                // Past the limit (one byte more may be the "\r" of "\r\n"): report, then skip.
                buffer.removeAll(keepingCapacity: false)
                items.append(.oversized)
                skipping = true
            } else {
                buffer.append(contentsOf: segment)
            }
            start = end + 1
        }
        return items
    }

    /// Feeds received bytes from an array (tests).
    public mutating func feed(_ bytes: [UInt8]) -> [Item] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The end of the stream: a last line without a newline counts as a line.
    public mutating func finish() -> [Item] {
        defer { skipping = false }
        guard !buffer.isEmpty, !skipping else { return [] }
        if buffer.count > limit && buffer.last != 0x0D {
            buffer = []
            return [.oversized]
        }
        return [.line(takeLine())]
    }

    private mutating func takeLine() -> [UInt8] {
        var line = buffer
        buffer = []
        if line.last == 0x0D { line.removeLast() }
        return line
    }
}
