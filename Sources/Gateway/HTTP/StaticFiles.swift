import Foundation

/// Serves files from one root folder for GET and HEAD (the web client's assets).
///
/// Paths are mapped by `StaticFileRoute` (which refuses traversal); the resolved file must
/// then be a regular file whose real path (symlinks resolved) is still under the root, and
/// at most `maxFileBytes`. Responses carry an `ETag` from size and modification time and
/// answer `If-None-Match` with 304. Reading is blocking: meant for small assets, not for
/// large downloads on an event loop thread.
public struct StaticFiles: Sendable {
    /// The root folder, symlinks resolved.
    public let root: String
    /// Largest file served; bigger ones are 404.
    public let maxFileBytes: Int

    /// Creates a server for the files under `root`.
    public init(root: String, maxFileBytes: Int = 8 << 20) {
        self.root = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        self.maxFileBytes = maxFileBytes
    }

    /// The response for `request`: 405 for methods other than GET and HEAD, 404 for
    /// refused paths and missing files, 304 when the client's ETag matches, else 200.
    /// For HEAD, serialize with `serialized(headOnly: true)`.
    public func response(to request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = HTTPResponse.error(.methodNotAllowed)
            response.headers.add(name: "Allow", value: "GET, HEAD")
            return response
        }
        guard let route = StaticFileRoute(rawPath: request.rawPath), let file = open(route) else {
            return .error(.notFound)
        }
        var headers = HTTPHeaders([("Content-Type", route.contentType), ("Cache-Control", route.cacheControl),
                                   ("ETag", file.etag), ("X-Content-Type-Options", "nosniff")])
        if request.headers.tokens(for: "If-None-Match").contains(where: { $0 == file.etag || $0 == "*" }) {
            headers.remove(name: "Content-Type")
            return HTTPResponse(status: .notModified, headers: headers)
        }
        guard let data = FileManager.default.contents(atPath: file.path), data.count <= maxFileBytes else {
            return .error(.notFound)
        }
        return HTTPResponse(status: .ok, headers: headers, body: [UInt8](data))
    }

    /// A file found under the root: its real path and validator.
    struct OpenedFile {
        var path: String
        var etag: String
    }

    /// Resolves `route` on disk; nil unless it is a regular file inside the root within the size cap.
    func open(_ route: StaticFileRoute) -> OpenedFile? {
        let candidate = URL(fileURLWithPath: root).appendingPathComponent(route.relativePath)
        let real = candidate.resolvingSymlinksInPath().path
        guard real.hasPrefix(root.hasSuffix("/") ? root : root + "/"),
              let attributes = try? FileManager.default.attributesOfItem(atPath: real),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = (attributes[.size] as? NSNumber)?.int64Value, size <= Int64(maxFileBytes)
        else { return nil }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let seconds = Int64(exactly: modified.rounded(.down)) ?? 0
        let etag = "\"" + String(size, radix: 16) + "-" + String(seconds, radix: 16) + "\""
        return OpenedFile(path: real, etag: etag)
    }
}
