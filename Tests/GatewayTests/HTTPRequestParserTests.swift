import Testing
@testable import Gateway

@Suite("HTTP request parser: valid requests")
struct HTTPRequestParserTests {
    static let upgrade = "GET /ws?token=a.b.c&user=ann+lee%21 HTTP/1.1\r\nHost: chat.example\r\n"
        + "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat.v1 , other\r\n\r\n"

    @Test func parsesUpgradeRequest() throws {
        let request = try #require(try parseOne(Self.upgrade)?.get())
        #expect(request.method == "GET")
        #expect(request.target == "/ws?token=a.b.c&user=ann+lee%21")
        #expect(request.path == "/ws")
        #expect(request.rawPath == "/ws")
        #expect(request.query("token") == "a.b.c")
        #expect(request.query("user") == "ann lee!")
        #expect(request.query("missing") == nil)
        #expect(request.version == .http1_1)
        #expect(request.headers["sec-websocket-key"] == "dGhlIHNhbXBsZSBub25jZQ==")
        #expect(request.headers["SEC-WEBSOCKET-VERSION"] == "13")
        #expect(request.headers.tokens(for: "connection") == ["keep-alive", "Upgrade"])
        #expect(request.headers.contains(token: "upgrade", in: "Connection"))
        #expect(request.headers.tokens(for: "Sec-WebSocket-Protocol") == ["chat.v1", "other"])
        #expect(request.keepAlive)
    }

    @Test func decodesPathAndQuery() throws {
        let request = try #require(try parseOne("GET /a%20b/c%2Fd?x=1&y&=z&&q=%E2%9C%93+%2B HTTP/1.1\r\nHost: h\r\n\r\n")?.get())
        #expect(request.path == "/a b/c/d")
        #expect(request.rawPath == "/a%20b/c%2Fd")
        #expect(request.queryItems == [HTTPQueryItem(name: "x", value: "1"), HTTPQueryItem(name: "y", value: ""),
                                       HTTPQueryItem(name: "", value: "z"), HTTPQueryItem(name: "q", value: "✓ +")])
        // In the path, "+" stays a plus.
        #expect(try parseOne("GET /a+b HTTP/1.1\r\nHost: h\r\n\r\n")?.get().path == "/a+b")
    }

    @Test func acceptsAbsoluteForm() throws {
        let request = try #require(try parseOne("GET http://chat.example:8080/ws?token=t HTTP/1.1\r\nHost: chat.example\r\n\r\n")?.get())
        #expect(request.path == "/ws")
        #expect(request.query("token") == "t")
        #expect(try parseOne("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n")?.get().path == "/")
        #expect(try parseOne("GET http://h?a=1 HTTP/1.1\r\nHost: h\r\n\r\n")?.get().query("a") == "1")
    }

    @Test func headerValuesAreTrimmedAndDuplicatesKept() throws {
        let request = try #require(try parseOne("GET / HTTP/1.1\r\nHost: h\r\nX-A:\t one two \t\r\nx-a: 2\r\nEmpty:\r\n\r\n")?.get())
        #expect(request.headers["X-A"] == "one two")
        #expect(request.headers.values(for: "x-A") == ["one two", "2"])
        #expect(request.headers["empty"] == "")
        #expect(request.headers.count == 4)
    }

    @Test func keepAliveSemantics() throws {
        func keepAlive(_ version: String, _ connection: String?) throws -> Bool {
            let line = connection.map { "Connection: \($0)\r\n" } ?? ""
            return try #require(try parseOne("GET / \(version)\r\nHost: h\r\n\(line)\r\n")?.get()).keepAlive
        }
        #expect(try keepAlive("HTTP/1.1", nil))
        #expect(try !keepAlive("HTTP/1.1", "close"))
        #expect(try !keepAlive("HTTP/1.1", "Upgrade, CLOSE"))
        #expect(try !keepAlive("HTTP/1.0", nil))
        #expect(try keepAlive("HTTP/1.0", "Keep-Alive"))
        #expect(try !keepAlive("HTTP/1.0", "keep-alive, close"))
    }

    @Test func http10NeedsNoHost() {
        #expect(statusOf("GET / HTTP/1.0\r\n\r\n") == 200)
        #expect(statusOf("GET / HTTP/1.1\r\n\r\n") == 400)
        #expect(statusOf("GET / HTTP/1.1\r\n\r\n", configuration: .init(requireHost: false)) == 200)
    }

    @Test func skipsEmptyLinesBeforeRequestLine() {
        #expect(statusOf("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n") == 200)
    }

    @Test func incompleteHeadWaits() {
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\n") == nil)
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\n\r") == nil)
    }

    @Test func pipelinedRequestsComeOutInOrder() throws {
        let stream = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHo"
        var parser = HTTPRequestParser()
        parser.feed(Array(stream.utf8))
        #expect(try parser.nextRequest()?.path == "/a")
        #expect(parser.bufferedByteCount == stream.utf8.count - "GET /a HTTP/1.1\r\nHost: h\r\n\r\n".utf8.count)
        #expect(try parser.nextRequest()?.path == "/b")
        #expect(try parser.nextRequest() == nil)
        parser.feed(Array("st: h\r\n\r\n".utf8))
        #expect(try parser.nextRequest()?.path == "/c")
        #expect(try parser.nextRequest() == nil)
        #expect(parser.isIdle)
    }

    @Test func upgradeHandsOverRemainingBytes() throws {
        var parser = HTTPRequestParser()
        parser.feed(Array(Self.upgrade.utf8) + [0x81, 0x85, 1, 2, 3])
        let request = try #require(try parser.nextRequest())
        #expect(request.headers["upgrade"] == "websocket")
        #expect(parser.takeRemainingBytes() == [0x81, 0x85, 1, 2, 3])
        #expect(parser.isIdle)
        #expect(parser.bufferCapacity == 0)
    }

    @Test func idleParserHoldsNoBuffer() throws {
        var parser = HTTPRequestParser()
        #expect(parser.bufferCapacity == 0)
        parser.feed(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        _ = try parser.nextRequest()
        #expect(parser.isIdle)
        #expect(parser.bufferCapacity == 0)
        #expect(try parser.nextRequest() == nil)
        #expect(parser.bufferCapacity == 0)
        // A failed parser drops its buffer too.
        parser.feed(Array("BAD\n".utf8))
        #expect(throws: HTTPParseError.invalidLineEnding) { try parser.nextRequest() }
        #expect(parser.bufferCapacity == 0)
    }

    @Test func smallBodyWithinLimitIsDiscarded() throws {
        let config = HTTPParserConfiguration(maxBodyBytes: 16)
        let stream = Array("GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        let whole = parseHTTP(stream, configuration: config)
        #expect(whole.requests.map(\.path) == ["/a", "/b"])
        #expect(whole.error == nil)
        for cut in 1..<stream.count {
            #expect(parseHTTP(stream, cuts: [cut], configuration: config) == whole)
        }
        #expect(statusOf("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n") == 200)
    }

    @Test func errorIsSticky() {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET / HTTP/2.0\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.unsupportedVersion) { try parser.nextRequest() }
        parser.feed(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.unsupportedVersion) { try parser.nextRequest() }
        #expect(parser.takeRemainingBytes() == [])
    }
}
