@preconcurrency import Glibc
import Foundation
import Synchronization

/// Free TCP ports on loopback for test servers.
///
/// Ports are drawn below Linux's ephemeral range (32768–60999): a port the kernel hands out
/// for port 0 is also what it hands to the next outgoing connection of any test, so a
/// server started on it a moment later could find it taken.
public enum FreePort {
    /// Ports handed out by this process: never handed out twice, since tests running in
    /// parallel would otherwise race for the same one.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A port that was free a moment ago, from 20000..<32000 when one is found there.
    public static func next() throws -> Int {
        for _ in 0..<200 {
            let candidate = Int.random(in: 20000..<32000)
            let fresh = handedOut.withLock { $0.insert(candidate).inserted }
            if fresh && isFree(candidate) { return candidate }
        }
        return try ephemeral()
    }

    /// Whether `port` can be bound on 127.0.0.1 now.
    public static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// A port chosen by the kernel (bind to port 0).
    static func ephemeral() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError.io("socket") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestSupportError.io("bind") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw TestSupportError.io("getsockname") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// A minimal blocking RESP client for test set-up and checks (independent of Shards).
public enum RawRESP {
    /// Sends one command and returns the reply's raw text (read until the reply is complete
    /// enough for simple replies, or up to 1 MiB / 2 s).
    public static func command(port: Int, _ args: [String]) throws -> String {
        guard let fd = loopbackConnect(port: port, receiveTimeoutSeconds: 2) else { throw TestSupportError.io("connect \(port)") }
        defer { close(fd) }
        var request = "*\(args.count)\r\n"
        for arg in args { request += "$\(arg.utf8.count)\r\n\(arg)\r\n" }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw TestSupportError.io("send") }
            sent += n
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while reply.count < 1 << 20 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            reply += buffer[0..<n]
            if isComplete(reply) { break }
        }
        return String(decoding: reply, as: UTF8.self)
    }

    /// True when `bytes` hold one whole RESP reply.
    static func isComplete(_ bytes: [UInt8]) -> Bool {
        var index = 0
        return parse(bytes, &index)
    }

    private static func line(_ bytes: [UInt8], _ index: inout Int) -> String? {
        var end = index
        while end + 1 < bytes.count {
            if bytes[end] == 13 && bytes[end + 1] == 10 {
                let text = String(decoding: bytes[index..<end], as: UTF8.self)
                index = end + 2
                return text
            }
            end += 1
        }
        return nil
    }

    private static func parse(_ bytes: [UInt8], _ index: inout Int) -> Bool {
        guard index < bytes.count else { return false }
        let type = bytes[index]
        index += 1
        guard let header = line(bytes, &index) else { return false }
        switch type {
        case UInt8(ascii: "$"):
            guard let length = Int(header) else { return false }
            if length < 0 { return true }
            guard index + length + 2 <= bytes.count else { return false }
            index += length + 2
            return true
        case UInt8(ascii: "*"):
            guard let count = Int(header) else { return false }
            if count < 0 { return true }
            for _ in 0..<count where !parse(bytes, &index) { return false }
            return true
        default:
            return true
        }
    }
}

/// A blocking TCP connection to 127.0.0.1:`port` with a receive timeout; nil when it fails.
/// The caller closes the descriptor.
public func loopbackConnect(port: Int, receiveTimeoutSeconds: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(fd)
        return nil
    }
    return fd
}
