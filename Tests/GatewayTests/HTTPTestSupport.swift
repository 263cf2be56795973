@testable import Gateway

/// SplitMix64: a tiny seeded generator so random tests replay exactly.
struct HTTPTestRNG: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Outcome of feeding a whole stream: the requests taken out, then the error if any.
struct HTTPParseOutcome: Equatable {
    var requests: [HTTPRequest] = []
    var error: HTTPParseError?
}

/// Feeds `stream` cut at `cuts` (sorted offsets), draining requests after every feed.
func parseHTTP(_ stream: [UInt8], cuts: [Int] = [],
               configuration: HTTPParserConfiguration = .init()) -> HTTPParseOutcome {
    var parser = HTTPRequestParser(configuration: configuration)
    var outcome = HTTPParseOutcome()
    var start = 0
    for end in cuts + [stream.count] where end >= start && end <= stream.count {
        parser.feed(stream[start..<end])
        start = end
        do {
            while let request = try parser.nextRequest() { outcome.requests.append(request) }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    return outcome
}

/// Parses one request given as text with `\r\n` line endings; the error or the request.
func parseOne(_ text: String, configuration: HTTPParserConfiguration = .init()) -> Result<HTTPRequest, HTTPParseError>? {
    let outcome = parseHTTP(Array(text.utf8), configuration: configuration)
    if let error = outcome.error { return .failure(error) }
    return outcome.requests.first.map { .success($0) }
}

/// The status a request text gets: 200 when it parses, nil when incomplete.
func statusOf(_ text: String, configuration: HTTPParserConfiguration = .init()) -> Int? {
    switch parseOne(text, configuration: configuration) {
    case .success: 200
    case .failure(let error): error.status.code
    case nil: nil
    }
}
