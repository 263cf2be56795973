import Foundation
import Testing
@testable import Gateway

@Suite("Static files")
struct HTTPStaticFilesTests {
    @Test(arguments: [
        ("/", "index.html"), ("/app/", "app/index.html"), ("/app/main.js", "app/main.js"),
        ("/a%20b.css", "a b.css"), ("/%2e%2efoo.txt", "..foo.txt"),
    ])
    func mapsPaths(raw: String, relative: String) {
        // "..foo.txt" starts with a dot and is refused; every other case maps.
        #expect(StaticFileRoute(rawPath: raw)?.relativePath == (relative.hasPrefix(".") ? nil : relative))
    }

    @Test(arguments: [
        "/../etc/passwd", "/app/../../etc/passwd", "/..", "/.", "/./index.html", "/%2e%2e/etc/passwd",
        "/%2E%2E/etc/passwd", "/.%2e/x", "/a%2Fb", "/a%2fb", "/..%2fetc%2fpasswd", "/a%5Cb", "/a\\b",
        "/..\\..\\x", "//etc/passwd", "/a//b", "/a%00b", "/a%0ab", "/a%zz", "/.env", "/app/.git/config",
        "etc/passwd", "", "/a%FFb", "/" + String(repeating: "a", count: 2000),
    ])
    func refusesTraversal(raw: String) {
        #expect(StaticFileRoute(rawPath: raw) == nil)
    }

    @Test func contentTypesAndCaching() throws {
        let cases: [(String, String)] = [
            ("/", "text/html; charset=utf-8"), ("/a.js", "text/javascript; charset=utf-8"),
            ("/a.mjs", "text/javascript; charset=utf-8"), ("/a.CSS", "text/css; charset=utf-8"),
            ("/a.json", "application/json"), ("/a.svg", "image/svg+xml"), ("/a.png", "image/png"),
            ("/favicon.ico", "image/x-icon"), ("/robots.txt", "text/plain; charset=utf-8"),
            ("/site.webmanifest", "application/manifest+json"), ("/f.woff2", "font/woff2"),
            ("/blob", "application/octet-stream"), ("/x.exe", "application/octet-stream"),
        ]
        for (raw, type) in cases { #expect(StaticFileRoute(rawPath: raw)?.contentType == type) }
        #expect(StaticFileRoute(rawPath: "/")?.cacheControl == "no-cache")
        #expect(StaticFileRoute(rawPath: "/a.js")?.cacheControl == "public, max-age=3600")
    }

    @Test func servesFilesFromDisk() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("http-static-\(UInt32.random(in: 0...UInt32.max))")
        let root = base.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("app"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        try Data("<h1>hi</h1>".utf8).write(to: root.appendingPathComponent("index.html"))
        try Data("x=1".utf8).write(to: root.appendingPathComponent("app/main.js"))
        try Data("secret".utf8).write(to: base.appendingPathComponent("secret.txt"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link.txt").path,
                                                   withDestinationPath: base.appendingPathComponent("secret.txt").path)
        let files = StaticFiles(root: root.path)

        func get(_ target: String, method: String = "GET", headers: [(String, String)] = []) throws -> HTTPResponse {
            var parser = HTTPRequestParser()
            let fields = ([("Host", "h")] + headers).map { "\($0.0): \($0.1)\r\n" }.joined()
            parser.feed(Array("\(method) \(target) HTTP/1.1\r\n\(fields)\r\n".utf8))
            return files.response(to: try #require(try parser.nextRequest()))
        }
        let index = try get("/")
        #expect(index.status == .ok)
        #expect(index.body == Array("<h1>hi</h1>".utf8))
        #expect(index.headers["cache-control"] == "no-cache")
        let etag = try #require(index.headers["etag"])
        #expect(try get("/", headers: [("If-None-Match", etag)]).status == .notModified)
        #expect(try get("/app/main.js").headers["content-type"] == "text/javascript; charset=utf-8")
        #expect(try get("/app/main.js", method: "POST").status == .methodNotAllowed)
        #expect(try get("/missing.js").status == .notFound)
        #expect(try get("/app").status == .notFound)            // a directory is not a file
        #expect(try get("/link.txt").status == .notFound)       // symlink out of the root
        #expect(try get("/../secret.txt").status == .notFound)
        #expect(try get("/%2e%2e/secret.txt").status == .notFound)
    }
}
