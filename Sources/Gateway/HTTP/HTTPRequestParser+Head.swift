/// Parsing of a complete head, once `scanHead` has found its end and checked line endings.
extension HTTPRequestParser {
    /// Builds the request from the head's bytes (`length` includes the final empty line).
    func parseHead(length: Int, scan: HeadScan) throws(HTTPParseError) -> HTTPRequest {
        guard let requestLine = scan.requestLine else { throw .invalidRequestLine }
        let head = buffer[readIndex..<(readIndex + length)]
        let base = head.startIndex
        let line = head[(base + requestLine.lowerBound)..<(base + requestLine.upperBound)]
        let parts = line.split(separator: ASCII.space, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let method = parts.first, let rawTarget = parts.dropFirst().first,
              let rawVersion = parts.last, !method.isEmpty, !rawTarget.isEmpty, method.allSatisfy(ASCII.isTokenChar)
        else { throw .invalidRequestLine }
        let version = try HTTPRequestParser.parseVersion(rawVersion)
        let target = try HTTPRequestTarget(rawTarget)

        // Field lines sit between the request line's CRLF and the final CRLF.
        let fieldsStart = base + requestLine.upperBound + 2
        let fieldsEnd = base + length - 2
        var headers = HTTPHeaders()
        if fieldsStart < fieldsEnd {
            for fieldLine in head[fieldsStart..<fieldsEnd].split(separator: ASCII.lf) {
                let field = try HTTPRequestParser.parseField(fieldLine.dropLast())  // drops the CR
                headers.add(name: field.name, value: field.value)
            }
        }
        let hosts = headers.values(for: "Host").count
        guard hosts <= 1, hosts == 1 || version != .http1_1 || !configuration.requireHost else {
            throw .invalidHost
        }
        return HTTPRequest(method: String(decoding: method, as: UTF8.self), target: target.raw,
                           rawPath: target.rawPath, path: target.path, queryItems: target.queryItems,
                           version: version, headers: headers)
    }

    /// `HTTP/1.1` -> 1.1; malformed -> 400, well-formed but not 1.0 or 1.1 -> 505.
    static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let chars = Array(bytes)
        guard chars.count == 8, chars[0..<5].elementsEqual("HTTP/".utf8), chars[6] == UInt8(ascii: "."),
              ASCII.isDigit(chars[5]), ASCII.isDigit(chars[7]) else { throw .invalidVersion }
        let version = HTTPVersion(major: chars[5] - UInt8(ascii: "0"), minor: chars[7] - UInt8(ascii: "0"))
        guard version == .http1_1 || version == .http1_0 else { throw .unsupportedVersion }
        return version
    }

    /// `name: OWS value OWS`; leading whitespace (obs-fold) or whitespace before the colon is 400.
    static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPHeaders.Field {
        guard let colon = line.firstIndex(of: ASCII.colon) else { throw .invalidHeader }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(ASCII.isTokenChar) else { throw .invalidHeader }
        var value = line[(colon + 1)...]
        while let first = value.first, ASCII.isWhitespace(first) { value = value.dropFirst() }
        while let last = value.last, ASCII.isWhitespace(last) { value = value.dropLast() }
        guard value.allSatisfy(ASCII.isFieldValueByte) else { throw .invalidHeader }
        return HTTPHeaders.Field(name: String(decoding: name, as: UTF8.self),
                                 value: String(decoding: value, as: UTF8.self))
    }

    /// The body length to discard: 0 without `Content-Length`; throws on a body this server refuses.
    static func bodyLength(of request: HTTPRequest,
                           configuration: HTTPParserConfiguration) throws(HTTPParseError) -> Int {
        if !request.headers.values(for: "Transfer-Encoding").isEmpty { throw .transferEncodingNotAllowed }
        let lengths = request.headers.values(for: "Content-Length")
        guard let text = lengths.first else { return 0 }
        guard lengths.count == 1, !text.isEmpty, text.utf8.allSatisfy(ASCII.isDigit) else {
            throw .invalidContentLength
        }
        var length = 0
        for digit in text.utf8 {
            let (times10, overflow1) = length.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw .bodyTooLarge }
            length = sum
        }
        guard length <= configuration.maxBodyBytes else { throw .bodyTooLarge }
        return length
    }
}
