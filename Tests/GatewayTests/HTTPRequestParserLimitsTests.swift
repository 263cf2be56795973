import Testing
@testable import Gateway

@Suite("HTTP request parser: limits and malformed input")
struct HTTPRequestParserLimitsTests {
    static let ok = "GET / HTTP/1.1\r\nHost: h\r\n\r\n"

    @Test func headOverLimitIs431() {
        let config = HTTPParserConfiguration(maxHeadBytes: 100)
        let filler = String(repeating: "a", count: 60)
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX: \(filler)\r\n\r\n", configuration: config) == 200)
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX: \(filler)\r\nY: \(filler)\r\n\r\n", configuration: config) == 431)
        // Detected without waiting for the end of the head.
        #expect(statusOf("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 200), configuration: config) == 431)
        // The default limit is 8 KiB.
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "a", count: 8200))\r\n\r\n") == 431)
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "a", count: 8000))\r\n\r\n") == 200)
    }

    @Test func headOfExactlyTheLimitIsAccepted() {
        let text = "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(statusOf(text, configuration: .init(maxHeadBytes: text.utf8.count)) == 200)
        #expect(statusOf(text, configuration: .init(maxHeadBytes: text.utf8.count - 1)) == 431)
    }

    @Test func longRequestLineIs414() {
        let long = "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(statusOf(long) == 414)
        #expect(statusOf("GET /" + String(repeating: "a", count: 9000)) == 414)
    }

    @Test func tooManyHeadersIs431() {
        func request(_ count: Int) -> String {
            "GET / HTTP/1.1\r\n" + (0..<count).map { "X-\($0): v\r\n" }.joined() + "Host: h\r\n\r\n"
        }
        #expect(statusOf(request(99)) == 200)   // 99 + Host = 100 fields
        #expect(statusOf(request(100)) == 431)
        #expect(statusOf(request(10), configuration: .init(maxHeaderCount: 5)) == 431)
    }

    @Test(arguments: [
        "GET /\r\n\r\n",                          // HTTP/0.9 style, no version
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",     // two spaces
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",     // trailing space
        " GET / HTTP/1.1\r\nHost: h\r\n\r\n",     // leading space
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",      // method not a token
        "GET\t/\tHTTP/1.1\r\nHost: h\r\n\r\n",    // tabs as separators
        "\u{16}\u{03}\u{01}\u{02}\u{00}",         // a TLS ClientHello: refused at once
        "GET / HTTP/1.1\u{00}\r\n\r\n",
    ])
    func malformedRequestLineIs400(text: String) {
        #expect(statusOf(text) == 400)
    }

    @Test(arguments: ["HTTP/1.10", "HTTP/1", "http/1.1", "HTTP/1.1x", "HTTP/a.b", "HTTX/1.1", "HTTP/11"])
    func malformedVersionIs400(version: String) {
        #expect(statusOf("GET / \(version)\r\nHost: h\r\n\r\n") == 400)
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.0", "HTTP/9.9"])
    func otherVersionsAre505(version: String) {
        #expect(statusOf("GET / \(version)\r\nHost: h\r\n\r\n") == 505)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n",    // obs-fold
        "GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n\tb\r\n\r\n",   // obs-fold with tab
        "GET / HTTP/1.1\r\n Host: h\r\n\r\n",                       // whitespace before first field
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",                       // space before colon
        "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n: empty name\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX(y): v\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{00}b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{7F}b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{01}b\r\n\r\n",
    ])
    func malformedHeaderIs400(text: String) {
        #expect(statusOf(text) == 400)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\nHost: h\n\n",
        "GET / HTTP/1.1\r\nHost: h\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n\n",
        "GET / HTTP/1.1\rHost: h\r\n\r\n",
        "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
    ])
    func bareLineEndingsAre400(text: String) {
        let outcome = parseHTTP(Array(text.utf8))
        #expect(outcome.error == .invalidLineEnding)
    }

    @Test(arguments: [
        "GET * HTTP/1.1\r\nHost: h\r\n\r\n",
        "CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a%FF HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /?token=%G1 HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /\u{C3}\u{A9} HTTP/1.1\r\nHost: h\r\n\r\n",
    ])
    func badTargetIs400(text: String) {
        #expect(parseHTTP(Array(text.utf8)).error == .invalidTarget)
    }

    @Test func hostRules() {
        #expect(statusOf("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400)
        #expect(statusOf("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n") == 400)
        #expect(statusOf("GET / HTTP/1.1\r\nhOsT: a\r\n\r\n") == 200)
    }

    @Test func bodiesAre413() {
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx") == 413)
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n") == 413)
        #expect(statusOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 413)
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: identity\r\n\r\n") == 413)
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n", configuration: .init(maxBodyBytes: 16)) == 413)
    }

    @Test(arguments: ["Content-Length: 0\r\nContent-Length: 0", "Content-Length: 0, 0", "Content-Length: -1",
                      "Content-Length: +1", "Content-Length: 0x10", "Content-Length: 1 2", "Content-Length:",
                      "Content-Length: 1.0"])
    func badContentLengthIs400(field: String) {
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\n\(field)\r\n\r\n") == 400)
    }

    @Test func everyErrorMapsToItsStatus() {
        let expected: [(HTTPParseError, Int)] = [
            (.requestLineTooLong, 414), (.headTooLarge, 431), (.tooManyHeaders, 431), (.invalidLineEnding, 400),
            (.invalidRequestLine, 400), (.invalidTarget, 400), (.invalidVersion, 400), (.unsupportedVersion, 505),
            (.invalidHeader, 400), (.invalidHost, 400), (.invalidContentLength, 400), (.bodyTooLarge, 413),
            (.transferEncodingNotAllowed, 413),
        ]
        for (error, code) in expected {
            #expect(error.status.code == code)
            let response = HTTPResponse.error(error)
            #expect(response.status.code == code)
            #expect(response.closesConnection)
        }
    }
}
