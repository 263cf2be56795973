/// Where a request path leads inside the static root, and how to serve it.
///
/// The pure half of `StaticFiles`: `StaticFileRoute(rawPath:)` never touches the disk.
/// It refuses (nil) anything that could leave the root or reach a hidden file:
///
///     /                      -> index.html
///     /app/                  -> app/index.html
///     /app/main.js           -> app/main.js
///     /../etc/passwd         refused: ".." segment
///     /%2e%2e/etc/passwd     refused: decodes to ".."
///     /a%2Fb, /a%5Cb, /a\b   refused: encoded slash, backslash
///     //etc/passwd, /a//b    refused: empty segment (absolute path)
///     /.env, /a/.git/config  refused: segments starting with "." (hidden files)
///     /a%00b, /a%zz          refused: NUL, control bytes, bad escapes
public struct StaticFileRoute: Hashable, Sendable {
    /// The file's path relative to the root, segments joined by `/`, decoded.
    public var relativePath: String
    /// The `Content-Type` for the file's extension.
    public var contentType: String
    /// The `Cache-Control` policy: HTML `no-cache` (always revalidate), the rest an hour.
    public var cacheControl: String

    /// Maps a raw (still percent-encoded) request path; nil when the path is refused.
    public init?(rawPath: String) {
        let bytes = Array(rawPath.utf8)
        guard bytes.first == UInt8(ascii: "/"), bytes.count <= StaticFileRoute.maxPathBytes else { return nil }
        var segments = bytes.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if segments.last?.isEmpty ?? true {
            if !segments.isEmpty { segments.removeLast() }
            segments.append(ArraySlice("index.html".utf8))
        }
        var decoded: [String] = []
        for segment in segments {
            guard let name = StaticFileRoute.decodeSegment(segment) else { return nil }
            decoded.append(name)
        }
        guard let last = decoded.last else { return nil }
        let type = StaticFileRoute.contentType(forFileName: last)
        self.relativePath = decoded.joined(separator: "/")
        self.contentType = type
        self.cacheControl = type.hasPrefix("text/html") ? "no-cache" : "public, max-age=3600"
    }

    /// Longest raw path considered.
    static let maxPathBytes = 1024

    /// One decoded path segment, or nil when it is empty, hidden, or holds a separator or control byte.
    static func decodeSegment(_ raw: ArraySlice<UInt8>) -> String? {
        guard let bytes = PercentDecoding.decode(raw), let first = bytes.first, first != UInt8(ascii: "."),
              !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") })
        else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The content type by extension (case-insensitive); `application/octet-stream` when unknown.
    public static func contentType(forFileName name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        let ext = name[name.index(after: dot)...].lowercased()
        return contentTypes[ext] ?? "application/octet-stream"
    }

    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "json": "application/json",
        "svg": "image/svg+xml",
        "png": "image/png",
        "ico": "image/x-icon",
        "txt": "text/plain; charset=utf-8",
        "webmanifest": "application/manifest+json",
        "woff2": "font/woff2",
    ]
}
