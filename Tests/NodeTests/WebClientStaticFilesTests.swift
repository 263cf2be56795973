import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// The web messenger's files as the node serves them, and a static look at their source:
/// content types and caching headers, module imports that resolve, and no HTML sinks
/// (`innerHTML` and friends) through which network data could become markup.
@Suite struct WebClientStaticFilesTests {
    static let webRoot = PackageRoot.url.appendingPathComponent("web")

    /// What each asset type must be served as.
    static let expectedTypes = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml",
    ]

    /// Every file under web/, as a path relative to it ("js/client.js").
    static func files() throws -> [String] {
        let root = webRoot.path
        let enumerator = FileManager.default.enumerator(atPath: root)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(path)
            }
        }
        return found.sorted()
    }

    static func source(_ path: String) throws -> String {
        try String(contentsOf: webRoot.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func servedWithContentTypesAndCachingHeaders() async throws {
        let node = try ChatNodeProcess(environment: ["STORE": "memory"])
        defer { node.stop() }
        try await node.waitUntilHealthy()
        let files = try Self.files()
        #expect(files.contains("index.html") && files.contains("app.js") && files.contains("style.css"))
        for path in ["/"] + files.map({ "/" + $0 }) {
            let file = path == "/" ? "index.html" : String(path.dropFirst())
            let ext = String(file.split(separator: ".").last ?? "")
            let type = try #require(Self.expectedTypes[ext], "\(file): no expected content type for .\(ext)")
            let response = try await Self.get(port: node.port, path: path)
            #expect(response.status == 200, "\(path)")
            #expect(response.headers["content-type"] == type, "\(path): \(response.headers)")
            #expect(response.headers["cache-control"] == (ext == "html" ? "no-cache" : "public, max-age=3600"), "\(path)")
            #expect(response.headers["x-content-type-options"] == "nosniff", "\(path)")
            #expect(response.headers["etag"] != nil, "\(path)")
        }
    }

    @Test func noHTMLSinksInTheScripts() throws {
        // Network data reaches the page through textContent and text nodes only.
        let sinks = ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                     "srcdoc", "createContextualFragment", "DOMParser"]
        for file in try Self.files() where file.hasSuffix(".js") {
            let text = try Self.source(file)
            for sink in sinks { #expect(!text.contains(sink), "\(file) uses \(sink)") }
            // Attributes named on* would be script; `h()` takes listeners as functions.
            #expect(text.range(of: #"setAttribute\(\s*['"]on"#, options: .regularExpression) == nil, "\(file)")
        }
    }

    @Test func pageHasNoInlineScriptOrHandlersAndACSP() throws {
        let html = try Self.source("index.html")
        #expect(html.contains(#"http-equiv="Content-Security-Policy""#))
        #expect(html.contains("script-src 'self'"))
        #expect(html.range(of: #"<script(?![^>]*\bsrc=)[^>]*>"#, options: .regularExpression) == nil, "inline script")
        #expect(html.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, "inline event handler")
        #expect(html.range(of: #"\sstyle\s*="#, options: .regularExpression) == nil, "inline style")
        // The node's own check of `/` still finds its name.
        #expect(html.contains("chat-node"))
    }

    @Test func moduleImportsResolve() throws {
        let pattern = try NSRegularExpression(pattern: #"(?:^|\n)\s*import\s[^;]*?from\s+'([^']+)'"#)
        var imports = 0
        for file in try Self.files() where file.hasSuffix(".js") {
            let text = try Self.source(file)
            let directory = (file as NSString).deletingLastPathComponent
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                let specifier = String(text[range])
                imports += 1
                #expect(specifier.hasPrefix("./") && specifier.hasSuffix(".js"), "\(file): \(specifier)")
                let target = ((directory as NSString).appendingPathComponent(specifier) as NSString).standardizingPath
                #expect(FileManager.default.fileExists(atPath: Self.webRoot.appendingPathComponent(target).path),
                        "\(file) imports missing \(specifier)")
            }
        }
        #expect(imports >= 10, "found only \(imports) imports: is the pattern still right?")
    }

    // MARK: HTTP

    struct Response {
        var status: Int
        var headers: [String: String]
    }

    /// GET over URLSession; header names lower-cased.
    static func get(port: Int, path: String) async throws -> Response {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
        var request = URLRequest(url: url, timeoutInterval: 5)
        request.cachePolicy = .reloadIgnoringLocalCacheData
        return try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { _, response, error in
                guard let http = response as? HTTPURLResponse else {
                    return continuation.resume(throwing: error ?? URLError(.badServerResponse))
                }
                var headers: [String: String] = [:]
                for (name, value) in http.allHeaderFields {
                    if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
                }
                continuation.resume(returning: Response(status: http.statusCode, headers: headers))
            }.resume()
        }
    }
}
