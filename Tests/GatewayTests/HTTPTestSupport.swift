@testable import Gateway
import TestSupport

typealias HTTPTestRNG = SplitMix64

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
