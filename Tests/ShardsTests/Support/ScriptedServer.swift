@preconcurrency import Glibc
import Foundation
import Gateway
import TestSupport

/// A TCP server on loopback that accepts one connection and sends exactly the bytes a test
/// scripts: for replies no real Valkey sends. Blocking calls with timeouts (test only).
final class ScriptedServer {
    let port: Int
    private let listener: Int32
    private var client: Int32 = -1

    init() throws {
        listener = try Socket.listen(host: "127.0.0.1", port: 0)
        port = try Socket.localPort(listener)
    }

    deinit {
        if client >= 0 { close(client) }
        close(listener)
    }

    /// Waits (up to 5 s) for the connection and returns the first bytes it sent.
    func accept() throws -> String {
        let deadline = Date().addingTimeInterval(5)
        while client < 0 {
            if let fd = try Socket.accept(listener) {
                client = fd
                break
            }
            guard Date() < deadline else { throw TestSupportError.timeout("scripted server accept") }
            usleep(2000)
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.isEmpty {
            let n = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
            if n > 0 { received += buffer[0..<n] } else if n == 0 { break } else {
                guard errno == EAGAIN, Date() < deadline else { throw TestSupportError.io("scripted server read") }
                usleep(2000)
            }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Writes `text` to the connection.
    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        let deadline = Date().addingTimeInterval(5)
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            if n > 0 { sent += n } else {
                guard errno == EAGAIN, Date() < deadline else { throw TestSupportError.io("scripted server write") }
                usleep(2000)
            }
        }
    }
}
