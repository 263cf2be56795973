@preconcurrency import Glibc
import Foundation

/// A small blocking HTTP/1.1 GET client with keep-alive, for the main thread's few
/// requests: tokens from `/dev/token` before the run, `/metrics` while it runs.
///
/// Every call is bounded by a timeout (send and receive each), so a stalled server cannot
/// hold the run past its deadline. Bodies need `Content-Length` or end at close; chunked
/// bodies are decoded too (Node's default).
final class HTTPFetcher {
    private let target: TargetURL
    private let timeout: timeval
    private var fd: Int32 = -1
    private var pending: [UInt8] = []

    init(target: TargetURL, timeoutMilliseconds: Int = 2_000) {
        self.target = target
        self.timeout = timeval(tv_sec: timeoutMilliseconds / 1_000, tv_usec: timeoutMilliseconds % 1_000 * 1_000)
    }

    deinit { disconnect() }

    /// GETs `pathAndQuery`; retries once on a fresh connection when a kept-alive one was
    /// closed by the server.
    func get(_ pathAndQuery: String) -> (status: Int, body: [UInt8])? {
        if fd >= 0, let answer = attempt(pathAndQuery) { return answer }
        disconnect()
        guard connect() else { return nil }
        return attempt(pathAndQuery)
    }

    private func connect() -> Bool {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else { return false }
        var timeout = self.timeout
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(clamping: target.port).bigEndian
        guard inet_pton(AF_INET, target.address, &addr.sin_addr) == 1 else {
            Glibc.close(socketFD)
            return false
        }
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(socketFD)
            return false
        }
        fd = socketFD
        pending = []
        return true
    }

    private func disconnect() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        pending = []
    }

    private func attempt(_ pathAndQuery: String) -> (status: Int, body: [UInt8])? {
        let request = Array("GET \(pathAndQuery) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nUser-Agent: chat-load\r\n\r\n".utf8)
        var written = 0
        while written < request.count {
            let count = request[written...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return nil }
            written += count
        }
        guard let headEnd = readUntilHeadEnd() else { return nil }
        let head = String(decoding: pending[..<headEnd], as: UTF8.self)
        pending.removeFirst(headEnd + 4)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let statusLine = lines.first else { return nil }
        let statusParts = statusLine.split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var length: Int?
        var chunked = false
        var close = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces).lowercased()
            if name == "content-length" { length = Int(value) }
            if name == "transfer-encoding" && value.contains("chunked") { chunked = true }
            if name == "connection" && value.contains("close") { close = true }
        }
        let body: [UInt8]?
        if chunked {
            body = readChunked()
        } else if let length {
            body = readExactly(length)
        } else {
            body = readToEnd()
            close = true
        }
        if close { disconnect() }
        guard let body else { return nil }
        return (status, body)
    }

    // MARK: - Reading

    /// Reads more bytes into `pending`; false at end of stream, error or timeout.
    private func fill() -> Bool {
        guard pending.count < 16 << 20 else { return false }
        var buffer = [UInt8](repeating: 0, count: 16_384)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        pending.append(contentsOf: buffer[0..<count])
        return true
    }

    private func readUntilHeadEnd() -> Int? {
        var searchFrom = 0
        while true {
            if let end = Self.find([13, 10, 13, 10], in: pending, from: searchFrom) { return end }
            searchFrom = max(0, pending.count - 3)
            guard pending.count < 65_536, fill() else { return nil }
        }
    }

    private func readExactly(_ count: Int) -> [UInt8]? {
        while pending.count < count { guard fill() else { return nil } }
        let body = Array(pending[..<count])
        pending.removeFirst(count)
        return body
    }

    private func readToEnd() -> [UInt8]? {
        while fill() {}
        defer { pending = [] }
        return pending
    }

    private func readChunked() -> [UInt8]? {
        var body: [UInt8] = []
        while true {
            var lineEnd = Self.find([13, 10], in: pending, from: 0)
            while lineEnd == nil {
                guard fill() else { return nil }
                lineEnd = Self.find([13, 10], in: pending, from: 0)
            }
            guard let end = lineEnd else { return nil }
            let sizeText = String(decoding: pending[..<end], as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else { return nil }
            pending.removeFirst(end + 2)
            guard let chunk = readExactly(size + 2) else { return nil }
            if size == 0 { return body }
            body.append(contentsOf: chunk.prefix(size))
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        outer: for index in start...(haystack.count - needle.count) {
            for offset in 0..<needle.count where haystack[index + offset] != needle[offset] { continue outer }
            return index
        }
        return nil
    }
}
