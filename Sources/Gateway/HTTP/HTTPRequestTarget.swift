/// The request target split and decoded (RFC 9112 §3.2).
///
/// Accepted forms: origin-form (`/path?query`) and absolute-form with an `http` or
/// `https` scheme (`http://host/path?query`, which servers must accept; the authority
/// is ignored, `Host` says the same). Asterisk-form (`OPTIONS *`) and authority-form
/// (`CONNECT`) are 400 here: this server has no use for them. A fragment (`#`) is never
/// part of a target and is 400 too.
struct HTTPRequestTarget {
    var raw: String
    var rawPath: String
    var path: String
    var queryItems: [HTTPQueryItem]

    init(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) {
        guard !bytes.isEmpty, bytes.allSatisfy(ASCII.isTargetByte), !bytes.contains(ASCII.hash) else {
            throw .invalidTarget
        }
        var pathAndQuery = bytes
        if bytes.first != ASCII.slash {
            pathAndQuery = try HTTPRequestTarget.stripSchemeAndAuthority(bytes)
        }
        let rawPathBytes: ArraySlice<UInt8>
        var rawQuery: ArraySlice<UInt8> = []
        if let question = pathAndQuery.firstIndex(of: ASCII.question) {
            rawPathBytes = pathAndQuery[pathAndQuery.startIndex..<question]
            rawQuery = pathAndQuery[(question + 1)...]
        } else {
            rawPathBytes = pathAndQuery
        }
        let rawPath = rawPathBytes.isEmpty ? "/" : String(decoding: rawPathBytes, as: UTF8.self)
        guard let path = PercentDecoding.decodeString(rawPath.utf8), !path.utf8.contains(0),
              let items = PercentDecoding.queryItems(rawQuery) else { throw .invalidTarget }
        self.raw = String(decoding: bytes, as: UTF8.self)
        self.rawPath = rawPath
        self.path = path
        self.queryItems = items
    }

    /// `http://host:port/p?q` -> `/p?q` (or `?q`, or empty, both meaning path `/`).
    private static func stripSchemeAndAuthority(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> ArraySlice<UInt8> {
        let schemeLength: Int
        if ASCII.hasPrefixIgnoringCase(bytes, "http://") {
            schemeLength = 7
        } else if ASCII.hasPrefixIgnoringCase(bytes, "https://") {
            schemeLength = 8
        } else {
            throw .invalidTarget
        }
        let afterScheme = bytes.dropFirst(schemeLength)
        let authorityEnd = afterScheme.firstIndex { $0 == ASCII.slash || $0 == ASCII.question } ?? afterScheme.endIndex
        guard authorityEnd > afterScheme.startIndex else { throw .invalidTarget }
        return afterScheme[authorityEnd...]
    }
}
