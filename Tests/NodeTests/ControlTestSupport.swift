@preconcurrency import Glibc
import Actors
import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// An in-process node with its own port and control socket, for the control tests.
final class ControlTestNode: @unchecked Sendable {
    let node: Node
    let port: Int
    let socketPath: String
    let folder: String
    let secret = ControlTestNode.secret
    private let running: Task<Int32, Never>
    static let secret = "test-secret-0123456789abcdef"

    private init(node: Node, port: Int, socketPath: String, running: Task<Int32, Never>) {
        self.node = node
        self.port = port
        self.socketPath = socketPath
        self.folder = String(socketPath[..<(socketPath.lastIndex(of: "/") ?? socketPath.endIndex)])
        self.running = running
    }

    /// Starts a node with the memory store; `environment` adds or overrides settings. A
    /// port taken meanwhile by another process (the gateway cannot listen, the tree gives
    /// up) is retried on another port.
    convenience init(environment: [String: String] = [:]) async throws {
        var started: (node: Node, port: Int, path: String, running: Task<Int32, Never>)?
        var failure: any Error = TestSupportError.timeout("node listening")
        for _ in 0..<3 where started == nil {
            let port = try FreePort.next()
            var settings = ["PORT": String(port), "HOST": "127.0.0.1", "JWT_SECRET": Self.secret, "STORE": "memory",
                            "CONTROL_SOCKET": "/tmp/ctl-\(UInt32.random(in: 0...UInt32.max))/control.sock", "RATE_LIMIT": "100000"]
            settings.merge(environment) { $1 }
            let configuration = try NodeConfiguration.load(environment: settings, arguments: [])
            let node = try Node.start(configuration: configuration)
            let running = Task { await node.run(handleSignals: false) }
            let gateway = ActorPath.node.appending("gateway")
            do {
                try await eventually("node listening", timeout: .seconds(20)) {
                    // A gateway that keeps failing to listen shows restarts: give up on this port.
                    if (node.registry.restarts(of: gateway) ?? 0) > 0 { throw TestSupportError.exited("port \(port): the gateway failed to listen") }
                    return await HTTPTestClient.get(port: port, path: "/health")?.status == 200
                }
                try await eventually("control listening") { node.registry.status(of: .node.appending("control")) == .running }
                started = (node, port, configuration.controlSocket, running)
            } catch {
                failure = error
                await node.stop()
                _ = await running.value
            }
        }
        guard let started else { throw failure }
        self.init(node: started.node, port: started.port, socketPath: started.path, running: started.running)
    }

    /// Stops the node; returns its exit code.
    @discardableResult
    func stop() async -> Int32 {
        await node.stop()
        let code = await running.value
        rmdir(folder)
        return code
    }

    /// Waits until room `id` runs under `/node/rooms` with its state published (a joined
    /// room's child is started asynchronously after the `joined` reply).
    func waitForRoom(_ id: UInt32) async throws {
        let path = ActorPath.node.appending("rooms").appending(String(id))
        let registry = node.registry
        try await eventually("room \(id) running") {
            guard registry.status(of: path) == .running else { return false }
            return await registry.snapshot(path)?.summary.isEmpty == false
        }
    }

    /// A raw client connected to this node's control socket.
    func client() throws -> RawControlClient {
        try RawControlClient(path: socketPath)
    }
}

/// A control-socket client written with plain Glibc calls (no NodeKit code), so the tests
/// check the wire format as any other client would see it.
final class RawControlClient: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError.io("socket") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw TestSupportError.io("connect \(path): errno \(code)")
        }
    }

    deinit { close(fd) }

    /// Writes raw bytes.
    func write(_ bytes: [UInt8]) async throws {
        try await onOwnThread { try self.writeBlocking(bytes) }
    }

    /// Reads one reply line (without its newline), waiting up to `timeout` seconds.
    func readLine(timeout: Double = 10) async throws -> String {
        try await onOwnThread { try self.readLineBlocking(timeout: timeout) }
    }

    /// Sends a line and returns the reply line.
    func roundTrip(_ line: String) async throws -> String {
        try await onOwnThread {
            try self.writeBlocking(Array((line + "\n").utf8))
            return try self.readLineBlocking(timeout: 10)
        }
    }

    /// Sends a request object and returns the reply object.
    func request(_ object: [String: Any]) async throws -> [String: Any] {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try Self.object(await roundTrip(String(decoding: data, as: UTF8.self)))
    }

    private func writeBlocking(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { throw TestSupportError.io("send: errno \(errno)") }
            offset += count
        }
    }

    private func readLineBlocking(timeout: Double) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let left = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, left) > 0 else { throw TestSupportError.timeout("control reply") }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw TestSupportError.io("control socket closed") }
            buffer += chunk[0..<count]
        }
    }

    /// A reply line as an object.
    static func object(_ line: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestSupportError.io("not a JSON object: \(line)")
        }
        return object
    }
}

/// HTTP/1.1 GET over a plain socket (status and body), nil when the node is not reachable.
enum HTTPTestClient {
    static func get(port: Int, path: String) async -> (status: Int, body: String)? {
        (try? await onOwnThread { getBlocking(port: port, path: path) }) ?? nil
    }

    static func getBlocking(port: Int, path: String) -> (status: Int, body: String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            response += chunk[0..<count]
            if let text = complete(response) { return text }
        }
        return complete(response)
    }

    /// The response once its head and `Content-Length` bytes of body are in.
    private static func complete(_ bytes: [UInt8]) -> (status: Int, body: String)? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return nil }
        let head = text[..<headEnd.lowerBound]
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let body = String(text[headEnd.upperBound...])
        let lengthLine = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
        if let lengthLine, let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)),
           body.utf8.count < length {
            return nil
        }
        return (status, body)
    }
}

/// A Python helper process driven line by line over stdin and stdout.
final class PythonPeer: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()

    static var python: String {
        ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
    }

    static func script(_ name: String) -> String {
        PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/\(name)").path
    }

    init(script: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.script(script)] + arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// Sends a command line.
    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// The next line the script prints, decoded as a JSON object (other lines are skipped
    /// and kept for the failure message).
    func next(timeout: Double = 20) async throws -> [String: Any] {
        let handle = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(timeout)
        var skipped: [String] = []
        while Date() < deadline {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { return object }
                skipped.append(line)
                continue
            }
            let chunk = try await onOwnThread { handle.availableData }
            if chunk.isEmpty { break }
            buffer += chunk
        }
        throw TestSupportError.io("python peer said nothing usable; output: \(skipped.joined(separator: "\n"))")
    }
}
