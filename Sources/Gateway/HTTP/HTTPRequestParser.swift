/// A pure, incremental HTTP/1.x request parser: feed it any split of the byte stream,
/// take complete requests out one by one. No I/O, no clock, never traps on input.
///
///     idle ──first byte──▶ head ──CRLF CRLF──▶ (body: discard Content-Length bytes) ──▶ idle
///       ▲                   │                                                        │
///       └──── request ◀─────┴────────────── request ◀────────────────────────────────┘
///     any error ──▶ failed (sticky: answer `error.status` and close the connection)
///
/// Decisions (see docs/protocol.md): lines must end in CRLF, a bare LF or bare CR is 400;
/// empty lines before the request line are skipped (RFC 9112 §2.2) but count toward the
/// head limit; a request line that has not ended within the head limit is 414, a head
/// over the limit is 431; a body within `maxBodyBytes` (default 0) is read and discarded,
/// a larger one and any `Transfer-Encoding` are 413. Pipelined bytes after a request stay
/// buffered for the next call; after an upgrade, `takeRemainingBytes()` hands them over.
/// The idle parser holds no heap buffer.
public struct HTTPRequestParser: Sendable {
    enum State: Sendable {
        case idle
        case head(HeadScan)
        case body(HTTPRequest, remaining: Int)
        case failed(HTTPParseError)
    }

    /// Progress through the head; offsets are relative to the head's first byte.
    struct HeadScan: Sendable {
        var next = 0
        var lineStart = 0
        var requestLine: Range<Int>?
        var fieldCount = 0
    }

    /// The limits in force.
    public let configuration: HTTPParserConfiguration
    private(set) var state: State = .idle
    private(set) var buffer: [UInt8] = []
    private(set) var readIndex = 0

    /// Creates an idle parser.
    public init(configuration: HTTPParserConfiguration = .init()) {
        self.configuration = configuration
    }

    /// Appends received bytes; ignored once the parser has failed.
    public mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        if case .failed = state { return }
        if readIndex > 0 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete request, nil when more bytes are needed.
    /// Throws the same error on every call once the stream is malformed.
    public mutating func nextRequest() throws(HTTPParseError) -> HTTPRequest? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            buffer = []
            readIndex = 0
            throw error
        }
    }

    /// Removes and returns every buffered byte not yet consumed, leaving the parser idle.
    /// Call it after an upgrade request: those bytes belong to the new protocol.
    public mutating func takeRemainingBytes() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer = []
        readIndex = 0
        if case .failed = state { return [] }
        state = .idle
        return rest
    }

    /// Whether no request is in progress and nothing is buffered.
    public var isIdle: Bool {
        if case .idle = state { return readIndex == buffer.count }
        return false
    }

    /// Bytes received and not yet consumed by a returned request.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// The buffer's heap capacity (0 when idle); for tests of the idle-memory promise.
    var bufferCapacity: Int { buffer.capacity }

    // MARK: - Steps

    private mutating func step() throws(HTTPParseError) -> HTTPRequest? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .idle:
                guard readIndex < buffer.count else {
                    releaseBuffer()
                    return nil
                }
                state = .head(HeadScan())
            case .head(var scan):
                guard let headLength = try scanHead(&scan) else {
                    state = .head(scan)
                    return nil
                }
                let request = try parseHead(length: headLength, scan: scan)
                let bodyLength = try HTTPRequestParser.bodyLength(of: request, configuration: configuration)
                readIndex += headLength
                if bodyLength > 0 {
                    state = .body(request, remaining: bodyLength)
                } else {
                    state = .idle
                    return finish(request)
                }
            case .body(let request, let remaining):
                let taken = min(remaining, buffer.count - readIndex)
                readIndex += taken
                if taken < remaining {
                    state = .body(request, remaining: remaining - taken)
                    return nil
                }
                state = .idle
                return finish(request)
            }
        }
    }

    private mutating func finish(_ request: HTTPRequest) -> HTTPRequest {
        if readIndex >= buffer.count { releaseBuffer() }
        return request
    }

    private mutating func releaseBuffer() {
        buffer = []
        readIndex = 0
    }

    /// Advances `scan` over the new bytes; returns the head's length once its empty line is seen.
    private func scanHead(_ scan: inout HeadScan) throws(HTTPParseError) -> Int? {
        let available = buffer.count - readIndex
        while scan.next < available {
            let offset = scan.next
            guard offset < configuration.maxHeadBytes else {
                throw scan.requestLine == nil ? .requestLineTooLong : .headTooLarge
            }
            let byte = buffer[readIndex + offset]
            let previousIsCR = offset > scan.lineStart && buffer[readIndex + offset - 1] == ASCII.cr
            if byte == ASCII.lf {
                guard previousIsCR else { throw .invalidLineEnding }
                let line = scan.lineStart..<(offset - 1)
                scan.next = offset + 1
                scan.lineStart = offset + 1
                if line.isEmpty {
                    if scan.requestLine != nil { return offset + 1 }
                } else if scan.requestLine == nil {
                    scan.requestLine = line
                } else {
                    scan.fieldCount += 1
                    guard scan.fieldCount <= configuration.maxHeaderCount else { throw .tooManyHeaders }
                }
                continue
            }
            if previousIsCR { throw .invalidLineEnding }
            if ASCII.isForbiddenControl(byte) {
                throw scan.requestLine == nil ? .invalidRequestLine : .invalidHeader
            }
            scan.next = offset + 1
        }
        return nil
    }
}
