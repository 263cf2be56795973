import Actors
/// Small canned responses: plain text, JSON, errors.
extension HTTPResponse {
    /// A `text/plain; charset=utf-8` response.
    public static func text(_ status: HTTPStatus, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]),
                     body: Array(text.utf8))
    }

    /// An `application/json` response from JSON text the caller has already encoded.
    public static func json(_ status: HTTPStatus, _ json: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]),
                     body: Array(json.utf8))
    }

    /// A JSON error body `{"error":"<message>"}` (default message: the reason phrase),
    /// with `Cache-Control: no-store`.
    public static func error(_ status: HTTPStatus, message: String? = nil) -> HTTPResponse {
        var response = json(status, "{\"error\":\(jsonString(message ?? status.reasonPhrase))}")
        response.headers.add(name: "Cache-Control", value: "no-store")
        return response
    }

    /// The answer to a malformed request: its status, a JSON error body, `Connection: close`.
    public static func error(_ parseError: HTTPParseError) -> HTTPResponse {
        error(parseError.status).closingConnection()
    }

    /// `text` as a JSON string literal, quotes included (RFC 8259 §7 escaping).
    public static func jsonString(_ text: String) -> String {
        Log.jsonString(text)
    }
}
