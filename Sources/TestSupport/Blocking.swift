@preconcurrency import Glibc
import Foundation

/// Runs blocking work (waiting for a process, a blocking socket) on a thread of its own,
/// never on Swift's cooperative pool: with two cores that pool has two threads, and a test
/// blocking one of them starves every other test's tasks (and an in-process node's).
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.start()
    }
}

/// Runs a program to completion (on its own thread) and returns its exit status and its
/// combined output.
public func runProcess(_ path: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> (Int32, String) {
    try await onOwnThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        ChildProcesses.track(process.processIdentifier)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        ChildProcesses.forget(process.processIdentifier)
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// A plain HTTP GET on loopback (on its own thread): the status code, 0 when nothing
/// answered within a second.
public func httpStatus(port: Int, path: String) async -> Int {
    await httpGet(port: port, path: path).status
}

/// A plain HTTP GET on loopback (on its own thread): status code (0 when nothing answered
/// within a second) and the whole response text (head and body).
public func httpGet(port: Int, path: String) async -> (status: Int, text: String) {
    (try? await onOwnThread { () -> (status: Int, text: String) in
        guard let fd = loopbackConnect(port: port, receiveTimeoutSeconds: 1) else { return (0, "") }
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while all.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            all += buffer[0..<count]
        }
        guard all.count >= 12 else { return (0, "") }
        return (Int(String(decoding: all[9..<12], as: UTF8.self)) ?? 0, String(decoding: all, as: UTF8.self))
    }) ?? (0, "")
}
