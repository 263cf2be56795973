import Testing
@testable import Gateway

@Suite("HTTP responses")
struct HTTPResponseTests {
    private func text(_ response: HTTPResponse, headOnly: Bool = false) -> String {
        String(decoding: response.serialized(headOnly: headOnly), as: UTF8.self)
    }

    @Test func serializesWithContentLength() {
        let response = HTTPResponse.text(.ok, "hello")
        #expect(text(response) == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello")
        #expect(text(response, headOnly: true).hasSuffix("Content-Length: 5\r\n\r\n"))
    }

    @Test func noContentLengthForBodilessStatuses() {
        var upgrade = HTTPResponse(status: .switchingProtocols)
        upgrade.headers.add(name: "Upgrade", value: "websocket")
        #expect(text(upgrade) == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
        #expect(text(HTTPResponse(status: .noContent, body: [1])) == "HTTP/1.1 204 No Content\r\n\r\n")
        #expect(text(HTTPResponse(status: .notModified)) == "HTTP/1.1 304 Not Modified\r\n\r\n")
    }

    @Test func callerContentLengthIsReplaced() {
        let response = HTTPResponse(status: .ok, headers: HTTPHeaders([("content-length", "99")]), body: [65])
        #expect(text(response) == "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA")
    }

    @Test func headerInjectionIsNeutralised() {
        let response = HTTPResponse(status: .ok, headers: HTTPHeaders([("X", "a\r\nSet-Cookie: x\u{0}")]))
        #expect(text(response) == "HTTP/1.1 200 OK\r\nX: a  Set-Cookie: x \r\nContent-Length: 0\r\n\r\n")
    }

    @Test func reasonPhraseTable() {
        let table: [Int: String] = [
            200: "OK", 101: "Switching Protocols", 204: "No Content", 301: "Moved Permanently", 304: "Not Modified",
            400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            413: "Content Too Large", 414: "URI Too Long", 426: "Upgrade Required", 429: "Too Many Requests",
            431: "Request Header Fields Too Large", 500: "Internal Server Error", 503: "Service Unavailable",
            505: "HTTP Version Not Supported",
        ]
        for (code, phrase) in table { #expect(HTTPStatus(code: code).reasonPhrase == phrase) }
        #expect(HTTPStatus(code: 299).reasonPhrase == "Unknown")
    }

    @Test func jsonErrorBody() {
        let response = HTTPResponse.error(.unauthorized, message: "bad \"token\"\n\u{1}")
        #expect(response.headers["content-type"] == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"error":"bad \"token\"\n\u0001"}"#)
        #expect(String(decoding: HTTPResponse.error(.notFound).body, as: UTF8.self) == #"{"error":"Not Found"}"#)
        #expect(!response.closesConnection)
        #expect(response.closingConnection().closesConnection)
    }
}

@Suite("HTTP statuses")
struct HTTPStatusTests {
    @Test func equalityIsByCode() {
        #expect(HTTPStatus(code: 200, reasonPhrase: "Fine") == .ok)
        #expect(HTTPStatus(code: 404) != .ok)
        #expect(Set([HTTPStatus.ok, HTTPStatus(code: 200, reasonPhrase: "x")]).count == 1)
        #expect(!HTTPStatus.switchingProtocols.allowsBody && HTTPStatus.notFound.allowsBody)
    }
}
