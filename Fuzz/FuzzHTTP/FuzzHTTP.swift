import Gateway

/// libFuzzer entry point for the HTTP layer (built by `scripts/fuzz-http`).
///
/// Input: byte 0 picks the limits, byte 1 a cut point; the rest is the request stream.
/// Besides "never traps", it checks that parsing is independent of how the stream is split
/// (whole, cut once, byte by byte) and that static-file routes never escape their root.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    let selector = bytes[0]
    let stream = Array(bytes.dropFirst(2))
    let configuration = HTTPParserConfiguration(
        maxHeadBytes: selector & 1 == 0 ? 8192 : 64 + Int(selector),
        maxHeaderCount: selector & 2 == 0 ? 100 : 3,
        maxBodyBytes: selector & 4 == 0 ? 0 : 16,
        requireHost: selector & 8 == 0)
    let cut = stream.isEmpty ? 0 : Int(bytes[1]) % (stream.count + 1)

    let whole = FuzzOutcome(stream, cuts: [], configuration: configuration)
    let once = FuzzOutcome(stream, cuts: [cut], configuration: configuration)
    guard whole == once else { fatalError("split at \(cut) changed the result") }
    if stream.count <= 2048 {
        let single = FuzzOutcome(stream, cuts: Array(0...stream.count), configuration: configuration)
        guard whole == single else { fatalError("byte-by-byte feeding changed the result") }
    }
    for request in whole.requests {
        checkRoute(request.rawPath)
        _ = HTTPResponse.text(.ok, request.path).serialized()
        _ = request.keepAlive
        _ = request.headers.tokens(for: "Connection")
    }
    if let error = whole.error { _ = HTTPResponse.error(error).serialized() }
    checkRoute(String(decoding: stream, as: UTF8.self))
    _ = PercentDecoding.queryItems(stream)
    return 0
}

/// A route, when granted, is relative, without empty, dot or hidden segments or separators.
func checkRoute(_ rawPath: String) {
    guard let route = StaticFileRoute(rawPath: rawPath) else { return }
    let segments = route.relativePath.split(separator: "/", omittingEmptySubsequences: false)
    for segment in segments {
        guard !segment.isEmpty, !segment.hasPrefix("."), !segment.contains("\\"),
              !segment.utf8.contains(0) else { fatalError("route escapes: \(route.relativePath)") }
    }
}

/// Everything the parser produced for one way of feeding the stream.
struct FuzzOutcome: Equatable {
    var requests: [HTTPRequest] = []
    var error: HTTPParseError?
    var leftover = 0

    init(_ stream: [UInt8], cuts: [Int], configuration: HTTPParserConfiguration) {
        var parser = HTTPRequestParser(configuration: configuration)
        var start = 0
        for end in cuts + [stream.count] where end >= start && end <= stream.count {
            parser.feed(stream[start..<end])
            start = end
            do {
                while let request = try parser.nextRequest() { requests.append(request) }
            } catch {
                self.error = error
                return
            }
        }
        leftover = parser.bufferedByteCount
    }
}
