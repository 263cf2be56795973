/// An HTTP/1.1 response: status, headers and a (small, in-memory) body.
///
/// `serialized()` writes the status line, the headers and a `Content-Length` computed
/// from the body (never for 1xx, 204 and 304). CR, LF and NUL in header names or values
/// are replaced by spaces, so a value echoed from a request can never split the response.
public struct HTTPResponse: Hashable, Sendable {
    /// The status.
    public var status: HTTPStatus
    /// The header fields, without `Content-Length` (added when serializing).
    public var headers: HTTPHeaders
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The response's wire bytes. With `headOnly` (an answer to HEAD) the body is left out
    /// but `Content-Length` still announces its size (RFC 9110 §9.3.2).
    public func serialized(headOnly: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + headers.count * 32 + (headOnly ? 0 : body.count))
        out.append(contentsOf: "HTTP/1.1 \(status.code) ".utf8)
        HTTPResponse.appendSanitized(status.reasonPhrase, to: &out)
        out.append(contentsOf: [ASCII.cr, ASCII.lf])
        for field in headers where !HTTPHeaders.namesEqual(field.name, "Content-Length") {
            HTTPResponse.appendSanitized(field.name, to: &out)
            out.append(contentsOf: ": ".utf8)
            HTTPResponse.appendSanitized(field.value, to: &out)
            out.append(contentsOf: [ASCII.cr, ASCII.lf])
        }
        if status.allowsBody {
            out.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        }
        out.append(contentsOf: [ASCII.cr, ASCII.lf])
        if status.allowsBody && !headOnly {
            out.append(contentsOf: body)
        }
        return out
    }

    /// Whether the response tells the client the connection will close.
    public var closesConnection: Bool {
        headers.contains(token: "close", in: "Connection")
    }

    /// A copy with `Connection: close` set.
    public func closingConnection() -> HTTPResponse {
        var copy = self
        copy.headers.replaceOrAdd(name: "Connection", value: "close")
        return copy
    }

    private static func appendSanitized(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            out.append(byte == ASCII.cr || byte == ASCII.lf || byte == 0 ? ASCII.space : byte)
        }
    }
}
